//! Editors and access over HTTP: sign-in with sessions, CSRF and the rate limit, bearer tokens,
//! every write refused to anonymous requests, a restricted FRUS document hidden from every
//! surface an anonymous reader reaches (and shown to a granted reader), and a correction of the
//! seed that survives re-ingest of the unchanged and of a modified seed, and a reindex.
//!
//! Data: the seed (collection `seed`) and the FRUS excerpt (collection `frus`); the FRUS
//! document restricted is the excerpt's first, and what is distinctive about it (a person it
//! alone names) is read from the parsed documents.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{parse, shared};
use opis_index::Index;
use opis_model::{BlockKind, Document};
use opis_store::access::{AccessLevel, Scope};
use opis_store::auth::Role;
use opis_store::{Provenance, PutOutcome, SqlStore, Store};
use tower::ServiceExt;

const SEED_ID: &str = "wilson-113647";
const PASSWORD: &str = "a long enough test password";

fn seed_path() -> PathBuf {
    shared().join("seed/presidium-1956-10-30.txt")
}

fn frus() -> Vec<Document> {
    parse(&shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml"), "frus")
}

struct Fixture {
    dir: PathBuf,
    restricted: Document,
    /// A person only the restricted document names.
    only_there: String,
    /// The restricted document's collection (the FRUS volume) and how many documents it holds.
    collection: String,
    frus_count: u64,
    editor_token: String,
}

fn fixture(name: &str) -> Fixture {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("opis-access-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut docs = parse(&seed_path(), "seed");
    let frus = frus();
    let restricted = frus[0].clone();
    // Everything the other documents say, so the name chosen appears nowhere else at all.
    let elsewhere: String =
        docs.iter().chain(frus.iter().skip(1)).map(|d| serde_json::to_string(d).expect("json")).collect();
    let only_there = restricted
        .persons
        .iter()
        .map(|p| p.name.clone())
        .find(|n| !elsewhere.contains(n.as_str()))
        .expect("the restricted document names someone no other document names");
    let collection = restricted.collection.clone().expect("the FRUS reader names the volume");
    let frus_count = frus.iter().filter(|d| d.collection.as_deref() == Some(collection.as_str())).count() as u64;
    docs.extend(frus);
    let mut store = SqlStore::open(&dir).expect("store");
    store.put_batch(&docs.into_iter().map(|d| (d, Provenance::default())).collect::<Vec<_>>()).expect("put");
    assert_eq!(store.set_access(Scope::Document, &restricted.id, Some(&AccessLevel::Restricted)).expect("rule"), 1);
    for (user, role) in [("rita", Role::Reader), ("nora", Role::Reader), ("ed", Role::Editor), ("ada", Role::Admin)] {
        store.add_user(user, role, PASSWORD).expect("user");
    }
    let rita = store.user("rita").expect("user").expect("rita");
    store.grant(rita.id, Scope::Document, &restricted.id).expect("grant");
    let (_, editor_token) = store.create_token(Role::Editor, "tests").expect("token");
    let mut index = Index::open(&dir).expect("index");
    index.sync(&store).expect("sync");
    Fixture { dir, restricted, only_there, collection, frus_count, editor_token }
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(app: &Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("body");
    Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn get(app: &Router, uri: &str, cookie: Option<&str>) -> Answer {
    let mut req = Request::get(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    send(app, req.body(Body::empty()).expect("request")).await
}

async fn post_form(app: &Router, uri: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Answer {
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let mut req = Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    send(app, req.body(Body::from(body)).expect("request")).await
}

fn set_cookies(a: &Answer) -> Vec<String> {
    a.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
}

/// The value of `name=` among the answer's `Set-Cookie` headers.
fn cookie_value(a: &Answer, name: &str) -> Option<String> {
    set_cookies(a).iter().find_map(|c| c.strip_prefix(&format!("{name}="))?.split(';').next().map(str::to_owned))
}

/// The `value` of the hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..at + html[at..].find('>')?];
    let v = tag.split("value=\"").nth(1)?;
    Some(v[..v.find('"')?].to_owned())
}

/// Signs in through the form; returns the `Cookie` header value of the session.
async fn sign_in(app: &Router, user: &str) -> String {
    let form = get(app, "/signin", None).await;
    let csrf = cookie_value(&form, "opis_signin").expect("sign-in cookie");
    assert_eq!(hidden(&form.body, "csrf").as_deref(), Some(csrf.as_str()));
    let answer = post_form(
        app,
        "/signin",
        Some(&format!("opis_signin={csrf}")),
        &[("name", user), ("password", PASSWORD), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{user} signs in: {}", answer.body);
    let session = cookie_value(&answer, "opis_session").expect("session cookie");
    format!("opis_session={session}")
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn sessions_are_cookies_that_scripts_cannot_read_and_forms_need_their_csrf_token() {
    let f = fixture("session");
    let app = opis_web::router(&f.dir).expect("router");
    let cookie = sign_in(&app, "ed").await;
    let home = get(&app, "/", Some(&cookie)).await;
    assert!(home.body.contains("ed (editor)"), "the header names who is signed in");

    // The session cookie's attributes; Secure when the proxy says the site is reached over TLS.
    let form = get(&app, "/signin", None).await;
    let csrf = cookie_value(&form, "opis_signin").expect("cookie");
    let req = Request::post("/signin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("opis_signin={csrf}"))
        .header("x-forwarded-proto", "https")
        .body(Body::from(format!("name=ed&password={}&csrf={csrf}", enc(PASSWORD))))
        .expect("request");
    let answer = send(&app, req).await;
    let session = set_cookies(&answer).into_iter().find(|c| c.starts_with("opis_session=")).expect("session");
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(session.contains(attribute), "{attribute} in {session}");
    }
    let plain = set_cookies(&get(&app, "/signin", None).await).join(" ");
    assert!(!plain.contains("Secure"), "no Secure over plain HTTP: {plain}");

    // A sign-in without the form's CSRF value is refused.
    let forged = post_form(&app, "/signin", None, &[("name", "ed"), ("password", PASSWORD), ("csrf", "x")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Sign-out needs the session's CSRF token; then the session opens nothing.
    let refused = post_form(&app, "/signout", Some(&cookie), &[("csrf", "wrong")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let token = hidden(&home.body, "csrf").expect("the sign-out form's token");
    let out = post_form(&app, "/signout", Some(&cookie), &[("csrf", &token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = get(&app, "/", Some(&cookie)).await;
    assert!(!after.body.contains("ed (editor)") && after.body.contains("Sign in"));
}

#[tokio::test]
async fn every_write_endpoint_refuses_anonymous_requests_and_readers() {
    let f = fixture("writes");
    let app = opis_web::router(&f.dir).expect("router");
    let reader = sign_in(&app, "nora").await;
    let correction = r#"{"patch":{"op":"set_field","field":"title","value":"x"},"reason":"test"}"#;
    let writes: Vec<(&str, String, &str)> = vec![
        ("/signout", "csrf=x".into(), "application/x-www-form-urlencoded"),
        (
            "/doc/wilson-113647/correct",
            "op=set_speakers&turn=0&anchor=x&speakers=y&reason=z&csrf=x".into(),
            "application/x-www-form-urlencoded",
        ),
        ("/api/v1/documents/wilson-113647/corrections", correction.into(), "application/json"),
        ("/upload", "x".into(), "text/plain"),
    ];
    for (uri, body, content_type) in &writes {
        let req = Request::post(*uri).header(header::CONTENT_TYPE, *content_type).body(Body::from(body.clone()));
        let anonymous = send(&app, req.expect("request")).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "anonymous POST {uri}");
        if *uri != "/signout" {
            let req = Request::post(*uri)
                .header(header::CONTENT_TYPE, *content_type)
                .header(header::COOKIE, &reader)
                .body(Body::from(body.clone()));
            assert_eq!(send(&app, req.expect("request")).await.status, StatusCode::FORBIDDEN, "a reader's POST {uri}");
        }
    }
    assert_eq!(get(&app, "/admin/audit", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&app, "/admin/audit", Some(&reader)).await.status, StatusCode::FORBIDDEN);
    let bad_token = Request::get("/api/v1/stats").header(header::AUTHORIZATION, "Bearer opis_00").body(Body::empty());
    let refused = send(&app, bad_token.expect("request")).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    // Under /api the refusal is the API's JSON error object.
    let error: serde_json::Value = serde_json::from_str(&refused.body).expect("a JSON error");
    assert_eq!(error["error"]["code"], "unauthorized");
    let store = SqlStore::open(&f.dir).expect("store");
    assert_eq!(store.document(SEED_ID).expect("read").expect("seed").version, 1, "nothing was written");
    assert!(store.corrections(None).expect("corrections").is_empty());
}

#[tokio::test]
async fn failed_sign_ins_are_slowed_logged_and_never_log_the_password() {
    // Everything the server logs, captured.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _ = tracing::subscriber::set_global_default(subscriber);

    let f = fixture("brute");
    let app = opis_web::router(&f.dir).expect("router");
    let form = get(&app, "/signin", None).await;
    let csrf = cookie_value(&form, "opis_signin").expect("cookie");
    let cookie = format!("opis_signin={csrf}");
    let mut statuses = Vec::new();
    for i in 0..12 {
        let guess = format!("wrong guess number {i}");
        let a =
            post_form(&app, "/signin", Some(&cookie), &[("name", "ada"), ("password", &guess), ("csrf", &csrf)]).await;
        if a.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(a.headers.contains_key(header::RETRY_AFTER));
        }
        statuses.push(a.status);
    }
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(statuses[..4], [StatusCode::UNAUTHORIZED; 4], "the first failures are answered");
    assert!(refused >= 6, "a loop of failures is slowed: {statuses:?}");
    // Even the right password waits out the backoff.
    let right =
        post_form(&app, "/signin", Some(&cookie), &[("name", "ada"), ("password", PASSWORD), ("csrf", &csrf)]).await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);

    let store = SqlStore::open(&f.dir).expect("store");
    let failed = store.audit_entries(Some("sign_in_failed"), 100).expect("audit");
    assert_eq!(failed.len(), 12 - refused, "every failure that was tried is in the audit log");
    assert!(failed.iter().all(|e| e.actor == "ada" && !e.detail.contains("wrong guess")));
    let throttled = store.audit_entries(Some("sign_in_throttled"), 100).expect("audit");
    assert_eq!(throttled.len(), refused + 1);

    // A successful sign-in (from a fresh server: in-process requests share one unknown client
    // address, whose limit the loop above used up), and a token's use.
    let app = opis_web::router(&f.dir).expect("router");
    let session = sign_in(&app, "ed").await;
    let req = Request::get("/api/v1/stats").header(header::AUTHORIZATION, format!("Bearer {}", f.editor_token));
    assert_eq!(send(&app, req.body(Body::empty()).expect("request")).await.status, StatusCode::OK);
    let logged = String::from_utf8_lossy(&log.0.lock().expect("log")).into_owned();
    assert!(logged.contains("sign-in failed"), "failures are logged");
    let session_id = session.trim_start_matches("opis_session=");
    for secret in [PASSWORD, "wrong guess number", session_id, f.editor_token.as_str(), csrf.as_str()] {
        assert!(!logged.contains(secret), "{secret:?} appears in the log");
    }

    // Nothing in the store file holds a password, a session id or a token in clear (on
    // PostgreSQL the same columns hold the same hashes; the store's own test reads them).
    if let Some(db) = store.path() {
        let mut bytes = std::fs::read(db).expect("db");
        bytes.extend(std::fs::read(db.with_extension("sqlite3-wal")).unwrap_or_default());
        for secret in [PASSWORD, session_id, f.editor_token.as_str()] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret:?} stored in clear");
        }
    }
}

#[tokio::test]
async fn a_restricted_document_is_on_no_anonymous_surface_and_on_every_granted_one() {
    let f = fixture("restricted");
    let app = opis_web::router(&f.dir).expect("router");
    let id = f.restricted.id.as_str();
    let who = f.only_there.as_str();
    let in_volume = enc(&format!("collection:\"{}\"", f.collection));
    let title_word = f.restricted.title.split_whitespace().max_by_key(|w| w.len()).expect("a title word");

    // The surfaces an anonymous reader reaches; none may show the id (or the person only it names).
    let pages = [
        "/".to_owned(),
        format!("/search?q={}", enc(title_word)),
        format!("/search?q={}", enc(&format!("id:{id}"))),
        format!("/search?q={in_volume}"),
        "/people".to_owned(),
        "/archive".to_owned(),
        "/timeline".to_owned(),
        format!("/timeline?q={in_volume}"),
        format!("/search/cite.bib?q={}", enc(title_word)),
        format!("/search/cite.json?q={in_volume}"),
        format!("/search/cite.ris?q={in_volume}"),
        "/api/v1/documents?limit=100".to_owned(),
        format!("/api/v1/documents?collection={}", enc(&f.collection)),
        format!("/api/v1/search?q={}&facets=true", enc(title_word)),
        "/api/v1/search?q=&facets=true&limit=100".to_owned(),
        "/api/v1/people?limit=1000".to_owned(),
        "/api/v1/archives".to_owned(),
        "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc".to_owned(),
        "/oai?verb=ListRecords&metadataPrefix=oai_dc".to_owned(),
        "/oai?verb=ListSets".to_owned(),
    ];
    for uri in &pages {
        let a = get(&app, uri, None).await;
        assert!(a.status.is_success(), "{uri}: {}", a.status);
        if uri.contains(id) {
            // The page repeats the reader's own query (search box, filter chip): no link, no hit.
            assert!(!a.body.contains(&format!("/doc/{id}")), "anonymous {uri} links {id}");
            assert!(a.body.contains("No matches"), "{uri}: no hits");
            continue;
        }
        let body = &a.body;
        assert!(!body.contains(id), "anonymous {uri} shows {id}");
        assert!(!body.contains(who), "anonymous {uri} names {who}, whom only {id} names");
    }
    // Lookups by id: 404, exactly as for an id that does not exist.
    let by_id = [
        format!("/doc/{id}"),
        format!("/doc/{id}/cite.bib"),
        format!("/doc/{id}/cite.json"),
        format!("/doc/{id}/cite.ris"),
        format!("/doc/{id}/cite.txt"),
        format!("/api/v1/documents/{id}"),
        format!("/api/v1/documents/{id}/versions"),
        format!("/api/v1/documents/{id}/versions/1"),
        format!("/person/{}", enc(who)),
        format!("/api/v1/people/{}", enc(who)),
    ];
    for uri in &by_id {
        let hidden = get(&app, uri, None).await;
        let unknown = get(&app, &uri.replace(id, "no-such-document").replace(&enc(who), "Nobody%20Atall"), None).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "anonymous {uri}");
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "unknown twin of {uri}");
        assert!(!hidden.body.contains(&f.restricted.title), "{uri} shows the title");
    }
    let oai =
        get(&app, &format!("/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:opis.local:{id}"), None).await;
    assert!(oai.body.contains("idDoesNotExist"), "{}", oai.body);

    // Counts: the collection, the stats, the facets all leave it out.
    let json = |a: Answer| -> serde_json::Value { serde_json::from_str(&a.body).expect("json") };
    let stats = json(get(&app, "/api/v1/stats", None).await);
    assert_eq!(stats["documents"], 1 + f.frus_count - 1);
    assert_eq!(stats["collections"][&f.collection], f.frus_count - 1);
    let collections = json(get(&app, "/api/v1/collections", None).await);
    let frus = collections.as_array().expect("list").iter().find(|c| c["name"] == f.collection.as_str()).expect("frus");
    assert_eq!(frus["documents"], f.frus_count - 1);
    let facets = json(get(&app, "/api/v1/search?q=&facets=true&limit=0", None).await);
    assert_eq!(facets["facets"]["collection"][&f.collection], f.frus_count - 1);
    assert_eq!(facets["total"].as_u64().map(|_| ()), Some(()));

    // A reader without a grant sees what anonymous readers see.
    let nora = sign_in(&app, "nora").await;
    assert_eq!(get(&app, &format!("/doc/{id}"), Some(&nora)).await.status, StatusCode::NOT_FOUND);
    // The granted reader, and an editor's token, see it everywhere.
    let rita = sign_in(&app, "rita").await;
    assert_eq!(get(&app, &format!("/doc/{id}"), Some(&rita)).await.status, StatusCode::OK);
    assert!(get(&app, &format!("/search?q={}", enc(title_word)), Some(&rita)).await.body.contains(id));
    assert_eq!(get(&app, &format!("/person/{}", enc(who)), Some(&rita)).await.status, StatusCode::OK);
    let person = json(get(&app, &format!("/api/v1/people/{}", enc(who)), Some(&rita)).await);
    assert_eq!(person["documents"], 1, "{person}");
    let granted_stats = json(get(&app, "/api/v1/stats", Some(&rita)).await);
    assert_eq!(granted_stats["collections"][&f.collection], f.frus_count);
    let req = Request::get(format!("/api/v1/documents/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", f.editor_token))
        .body(Body::empty());
    assert_eq!(send(&app, req.expect("request")).await.status, StatusCode::OK);

    // Made public again, anonymous readers find it.
    {
        let mut store = SqlStore::open(&f.dir).expect("store");
        store.set_access(Scope::Document, id, None).expect("clear");
        let mut index = Index::open(&f.dir).expect("index");
        index.sync(&store).expect("sync");
    }
    let app = opis_web::router(&f.dir).expect("router");
    assert_eq!(get(&app, &format!("/doc/{id}"), None).await.status, StatusCode::OK);
    assert!(get(&app, &format!("/search?q={}", enc(title_word)), None).await.body.contains(id));
}

#[tokio::test]
async fn an_embargoed_collection_is_hidden_until_its_day() {
    let f = fixture("embargo");
    let mut store = SqlStore::open(&f.dir).expect("store");
    let future = AccessLevel::Embargoed { until: "2999-01-01".into() };
    assert_eq!(store.set_access(Scope::Collection, "seed", Some(&future)).expect("rule"), 1);
    let mut index = Index::open(&f.dir).expect("index");
    index.sync(&store).expect("sync");
    let app = opis_web::router(&f.dir).expect("router");
    assert_eq!(get(&app, &format!("/doc/{SEED_ID}"), None).await.status, StatusCode::NOT_FOUND);
    assert!(!get(&app, "/search?q=Zhukov", None).await.body.contains(SEED_ID));
    let past = AccessLevel::Embargoed { until: "2000-01-01".into() };
    store.set_access(Scope::Collection, "seed", Some(&past)).expect("rule");
    index.sync(&store).expect("sync");
    let app = opis_web::router(&f.dir).expect("router");
    assert_eq!(get(&app, &format!("/doc/{SEED_ID}"), None).await.status, StatusCode::OK);
    assert!(get(&app, "/search?q=Zhukov", None).await.body.contains(SEED_ID));
}

/// The seed's turns in reading order: (speakers, text).
fn turns(doc: &Document) -> Vec<(Vec<String>, String)> {
    doc.sections
        .iter()
        .flat_map(|s| s.blocks.iter())
        .filter(|b| b.kind == BlockKind::Turn)
        .map(|b| (b.speakers.clone(), b.text.clone()))
        .collect()
}

#[tokio::test]
async fn an_editors_correction_survives_reingest_of_the_same_and_of_a_modified_seed_and_a_reindex() {
    let f = fixture("correct");
    let app = opis_web::router(&f.dir).expect("router");
    let seed = parse(&seed_path(), "seed").remove(0);
    let original = turns(&seed);
    // The turn the seed gives to Saburov ("Agrees about the need for a Declaration …"); the
    // editor gives it to Suslov, who the seed names but never as a speaker.
    let n = original.iter().position(|(s, _)| s == &["Saburov".to_string()]).expect("a turn of Saburov");
    assert!(original.iter().all(|(s, _)| !s.contains(&"Suslov".to_string())));
    let anchor = opis_store::corrections::anchor_of(&original[n].1);

    // Through the reading view's form, signed in as an editor.
    let ed = sign_in(&app, "ed").await;
    let page = get(&app, &format!("/doc/{SEED_ID}"), Some(&ed)).await;
    assert!(page.body.contains(&format!("Correct turn {}", n + 1)), "the editor sees the form");
    assert!(!get(&app, &format!("/doc/{SEED_ID}"), None).await.body.contains("Correct turn"), "anonymous does not");
    let csrf = hidden(&page.body, "csrf").expect("csrf");
    let turn = n.to_string();
    let form = [
        ("csrf", csrf.as_str()),
        ("op", "set_speakers"),
        ("turn", turn.as_str()),
        ("anchor", anchor.as_str()),
        ("speakers", "Suslov"),
        ("reason", "the minutes' margin gives this to Suslov (test)"),
    ];
    let without_csrf: Vec<_> = form.iter().filter(|(k, _)| *k != "csrf").copied().collect();
    let forged = post_form(&app, &format!("/doc/{SEED_ID}/correct"), Some(&ed), &without_csrf).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no CSRF token, no correction");
    let done = post_form(&app, &format!("/doc/{SEED_ID}/correct"), Some(&ed), &form).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    let app = opis_web::router(&f.dir).expect("router");
    let reading = get(&app, &format!("/doc/{SEED_ID}"), None).await.body;
    let turn_html = &reading[reading.find(&format!("id=\"turn-{n}\"")).expect("the turn")..];
    assert!(turn_html[..turn_html.find("</p>").expect("speaker line")].contains("Suslov"));
    let suslov = get(&app, "/person/Suslov", None).await.body;
    assert!(suslov.contains(&format!("{SEED_ID}#turn-{n}")), "Suslov's page lists the turn");
    let saburov = get(&app, "/person/Saburov", None).await.body;
    assert!(!saburov.contains(&format!("{SEED_ID}#turn-{n}")), "Saburov's page no longer does");

    // And over the API with the editor's token: a second correction, a heading.
    let patch = serde_json::json!({"patch": {"op": "set_field", "field": "place", "value": "Moscow, the Kremlin"},
                                   "reason": "from the archive's description (test)"});
    let req = Request::post(format!("/api/v1/documents/{SEED_ID}/corrections"))
        .header(header::AUTHORIZATION, format!("Bearer {}", f.editor_token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(patch.to_string()));
    let api = send(&app, req.expect("request")).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let answer: serde_json::Value = serde_json::from_str(&api.body).expect("json");
    assert_eq!(answer["version"], 3, "every correction is a version");
    let bad = serde_json::json!({"patch": {"op": "set_speakers", "turn": 0, "anchor": "No such words", "speakers": ["X"]},
                                 "reason": "test"});
    let req = Request::post(format!("/api/v1/documents/{SEED_ID}/corrections"))
        .header(header::AUTHORIZATION, format!("Bearer {}", f.editor_token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(bad.to_string()));
    assert_eq!(send(&app, req.expect("request")).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Made on version 2 while the document is at version 3 (someone corrected it meanwhile):
    // refused with 409, nothing written.
    let stale = serde_json::json!({"patch": {"op": "set_field", "field": "place", "value": "Budapest"},
                                   "reason": "an old tab", "base_version": 2});
    let req = Request::post(format!("/api/v1/documents/{SEED_ID}/corrections"))
        .header(header::AUTHORIZATION, format!("Bearer {}", f.editor_token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(stale.to_string()));
    let conflict = send(&app, req.expect("request")).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{}", conflict.body);
    assert!(conflict.body.contains("\"conflict\"") && conflict.body.contains("version 3"), "{}", conflict.body);

    let mut store = SqlStore::open(&f.dir).expect("store");
    let corrections = store.corrections(Some(SEED_ID)).expect("corrections");
    assert_eq!(corrections.len(), 2);
    assert_eq!((corrections[0].author.as_str(), corrections[1].author.as_str()), ("ed", "token:1"));
    let audit = store.audit_entries(Some("correction"), 10).expect("audit");
    assert_eq!(audit.len(), 2);

    // Re-ingest of the unchanged seed: nothing changes.
    let reingest = |store: &mut SqlStore, doc: Document| {
        let outcome = store.put_batch(&[(doc, Provenance::default())]).expect("put")[0];
        let current = store.document(SEED_ID).expect("read").expect("seed");
        (outcome, current)
    };
    let (outcome, current) = reingest(&mut store, seed.clone());
    assert_eq!(outcome, PutOutcome::Unchanged);
    assert_eq!(turns(&current.document)[n].0, ["Suslov"]);
    assert_eq!(current.document.place.as_deref(), Some("Moscow, the Kremlin"));

    // A modified seed (another turn's text edited): a new version, the corrections re-applied.
    let text = std::fs::read_to_string(seed_path()).expect("seed");
    let edited = text.replacen("We are unanimous.", "We are all unanimous.", 1);
    assert_ne!(edited, text, "the seed has the sentence edited here");
    let modified_path = f.dir.join("modified-seed.txt");
    std::fs::write(&modified_path, &edited).expect("write");
    let modified = parse(&modified_path, "seed").remove(0);
    let (outcome, current) = reingest(&mut store, modified);
    assert_eq!(outcome, PutOutcome::Changed { version: 4 });
    let now = turns(&current.document);
    assert_eq!(now[n].0, ["Suslov"], "the speaker correction still holds");
    assert!(now.iter().any(|(_, t)| t.starts_with("We are all unanimous.")), "and the new text is there");
    assert!(store.corrections(Some(SEED_ID)).expect("c").iter().all(|c| c.status == "applied"));

    // A seed whose corrected turn is gone: the correction is flagged for review, not lost.
    let gone = text.replacen(&original[n].1[..40], "Something else entirely was said here", 1);
    let gone_path = f.dir.join("gone-seed.txt");
    std::fs::write(&gone_path, &gone).expect("write");
    let (_, current) = reingest(&mut store, parse(&gone_path, "seed").remove(0));
    let flagged = store.corrections(Some(SEED_ID)).expect("c");
    assert_eq!(flagged[0].status, "needs_review");
    assert_eq!(flagged[1].status, "applied");
    assert!(!turns(&current.document).iter().any(|(s, _)| s.contains(&"Suslov".to_string())));
    let (_, current) = reingest(&mut store, parse(&modified_path, "seed").remove(0));
    assert_eq!(turns(&current.document)[n].0, ["Suslov"]);
    assert_eq!(store.corrections(Some(SEED_ID)).expect("c")[0].status, "applied", "applies again");

    // A reindex from the store keeps the corrected speaker.
    let mut index = Index::open(&f.dir).expect("index");
    index.rebuild(&store).expect("rebuild");
    let hits = index.search("speaker:Suslov", &opis_index::SearchOptions::default()).expect("search");
    assert!(hits.hits.iter().any(|h| h.id == SEED_ID && h.turn == Some(n as u32)));
}

#[tokio::test]
async fn the_reading_views_forms_split_and_merge_a_turn_and_set_a_field_and_a_heading() {
    let f = fixture("forms");
    let app = opis_web::router(&f.dir).expect("router");
    let seed = parse(&seed_path(), "seed").remove(0);
    // Molotov's turn of the seed: "Today an appeal must be written … There is the Warsaw Pact. …"
    let original = turns(&seed);
    let n = original
        .iter()
        .position(|(s, t)| s == &["Molotov".to_string()] && t.starts_with("Today an appeal must be written"))
        .expect("Molotov's turn");
    let anchor = opis_store::corrections::anchor_of(&original[n].1);
    let ed = sign_in(&app, "ed").await;
    let page = get(&app, &format!("/doc/{SEED_ID}"), Some(&ed)).await;
    for button in
        ["Save the speakers", "Split the turn", "Merge with the next turn", "Set the field", "Set the heading"]
    {
        assert!(page.body.contains(button), "the editor sees {button:?}");
    }
    let csrf = hidden(&page.body, "csrf").expect("csrf");
    let turn = n.to_string();
    let post = |form: Vec<(&'static str, String)>| {
        let app = app.clone();
        let (ed, csrf) = (ed.clone(), csrf.clone());
        async move {
            let mut fields: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
            fields.extend(form.iter().map(|(k, v)| (*k, v.as_str())));
            let done = post_form(&app, &format!("/doc/{SEED_ID}/correct"), Some(&ed), &fields).await;
            assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        }
    };
    let current =
        || turns(&SqlStore::open(&f.dir).expect("store").document(SEED_ID).expect("read").expect("seed").document);

    // Split where "There is the Warsaw Pact." begins; the second part given to Kaganovich.
    post(vec![
        ("op", "split_turn".into()),
        ("turn", turn.clone()),
        ("anchor", anchor.clone()),
        ("at", "There is the Warsaw Pact.".into()),
        ("speakers", "Kaganovich".into()),
        ("reason", "two speakers in one paragraph (test)".into()),
    ])
    .await;
    let split = current();
    assert_eq!(split.len(), original.len() + 1);
    assert_eq!(split[n].0, ["Molotov"]);
    assert!(!split[n].1.contains("Warsaw Pact"), "{}", split[n].1);
    assert_eq!(split[n + 1].0, ["Kaganovich"]);
    assert!(split[n + 1].1.starts_with("There is the Warsaw Pact."), "{}", split[n + 1].1);
    let reading = get(&app, &format!("/doc/{SEED_ID}"), None).await.body;
    let second = &reading[reading.find(&format!("id=\"turn-{}\"", n + 1)).expect("the new turn")..];
    assert!(second[..second.find("</p>").expect("speaker line")].contains("Kaganovich"));

    // Merged back: one turn with both parts' speakers; then its speakers set back to Molotov,
    // and the turn is the seed's again.
    post(vec![
        ("op", "merge_with_next".into()),
        ("turn", turn.clone()),
        ("anchor", anchor.clone()),
        ("reason", "the split was wrong (test)".into()),
    ])
    .await;
    let merged = current();
    assert_eq!(merged.len(), original.len());
    assert_eq!(merged[n].0, ["Molotov", "Kaganovich"]);
    post(vec![
        ("op", "set_speakers".into()),
        ("turn", turn.clone()),
        ("anchor", anchor.clone()),
        ("speakers", "Molotov".into()),
        ("reason", "the split was wrong (test)".into()),
    ])
    .await;
    assert_eq!(current(), original, "the seed's turns again");

    // A metadata field and a section's heading.
    post(vec![
        ("op", "set_field".into()),
        ("field", "place".into()),
        ("value", "Moscow, the Kremlin".into()),
        ("reason", "from the archive's description (test)".into()),
    ])
    .await;
    post(vec![
        ("op", "set_heading".into()),
        ("section", "0".into()),
        ("heading", "Opening of the session (test)".into()),
        ("reason", "a heading for the first section (test)".into()),
    ])
    .await;
    let reading = get(&app, &format!("/doc/{SEED_ID}"), None).await.body;
    assert!(reading.contains("Moscow, the Kremlin"));
    assert!(reading.contains("Opening of the session (test)"));
    let store = SqlStore::open(&f.dir).expect("store");
    let done: Vec<String> = store.corrections(Some(SEED_ID)).expect("c").iter().map(|c| c.patch.describe()).collect();
    assert_eq!(done.len(), 5, "{done:?}");
    assert_eq!(store.document(SEED_ID).expect("read").expect("seed").version, 6, "one version each");
}

#[tokio::test]
async fn an_editor_uploads_a_file_and_gets_the_same_diagnostics_as_the_command_line() {
    let f = fixture("upload");
    let app = opis_web::router(&f.dir).expect("router");
    let upload = |uri: &str, body: Vec<u8>, auth: Option<String>| {
        let mut req = Request::post(uri).header(header::CONTENT_TYPE, "application/octet-stream");
        if let Some(token) = auth {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        req.body(Body::from(body)).expect("request")
    };
    let path = shared().join("corpora/akoma-ntoso");
    let file = std::fs::read_dir(&path)
        .expect("akoma-ntoso corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .min()
        .expect("an Akoma Ntoso file");
    let bytes = std::fs::read(&file).expect("read");
    let name = file.file_name().expect("name").to_string_lossy().into_owned();
    let uri = format!("/upload?filename={}&collection=uploaded", enc(&name));

    assert_eq!(send(&app, upload(&uri, bytes.clone(), None)).await.status, StatusCode::UNAUTHORIZED);
    let answer = send(&app, upload(&uri, bytes.clone(), Some(f.editor_token.clone()))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let result: serde_json::Value = serde_json::from_str(&answer.body).expect("json");
    let cli = opis_formats::parse_file(&file, None).expect("the command line's reader");
    let docs = result["documents"].as_array().expect("documents");
    assert_eq!(docs.len(), cli.documents.len());
    for (got, want) in docs.iter().zip(&cli.documents) {
        assert_eq!(got["id"], want.id.as_str());
        assert_eq!(got["outcome"], "new");
        assert_eq!(got["diagnostics"], serde_json::to_value(&want.diagnostics).expect("json"));
    }
    let store = SqlStore::open(&f.dir).expect("store");
    let first = store.document(&cli.documents[0].id).expect("read").expect("stored");
    assert_eq!(first.document.collection.as_deref(), Some("uploaded"));
    assert_eq!(first.source_path.as_deref(), Some(format!("upload:{name}").as_str()));
    assert_eq!(store.audit_entries(Some("ingest"), 10).expect("audit")[0].actor, "token:1");
    let app = opis_web::router(&f.dir).expect("router");
    assert_eq!(get(&app, &format!("/doc/{}", cli.documents[0].id), None).await.status, StatusCode::OK);

    // Again: unchanged. Not a document, or too large: refused with the reader's message.
    let again = send(&app, upload(&uri, bytes.clone(), Some(f.editor_token.clone()))).await;
    assert!(again.body.contains("\"unchanged\""), "{}", again.body);
    let binary =
        send(&app, upload("/upload?filename=x.bin", vec![0, 159, 146, 150, 0, 1], Some(f.editor_token.clone()))).await;
    assert_eq!(binary.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", binary.body);
    let huge = vec![b' '; opis_web::MAX_UPLOAD_BYTES + 1];
    let too_large = send(&app, upload("/upload?filename=big.txt", huge, Some(f.editor_token.clone()))).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
}
