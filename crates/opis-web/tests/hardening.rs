//! The server under abuse: any path and query string (proptest) answers without a 5xx or a
//! panic; every page carries the security headers and no inline script or style; over a real
//! socket, oversized headers and bodies are refused (and the refusal arrives, not a reset), a
//! client that sends half a request head or does not read its answers is
//! cut off, and a shutdown lets the request in flight finish.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{parse, shared};
use opis_index::Index;
use opis_store::{Provenance, SqlStore, Store};
use proptest::prelude::*;
use tower::ServiceExt;

const SEED_ID: &str = "wilson-113647";

/// A data folder with the seed and the FRUS excerpt, built once per test binary.
fn data() -> &'static Path {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("opis-hardening-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut docs = parse(&shared().join("seed/presidium-1956-10-30.txt"), "seed");
        docs.extend(parse(&shared().join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml"), "frus"));
        let batch: Vec<_> = docs.into_iter().map(|d| (d, Provenance::default())).collect();
        let mut store = SqlStore::open(&dir).expect("store");
        store.put_batch(&batch).expect("put");
        Index::open(&dir).expect("index").sync(&store).expect("sync");
        dir
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap())
}

fn router() -> &'static axum::Router {
    static ROUTER: OnceLock<axum::Router> = OnceLock::new();
    ROUTER.get_or_init(|| opis_web::router(data()).expect("router"))
}

/// Status, headers and body of a GET through the router.
fn get(uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    runtime().block_on(async {
        let res = router().clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        (status, headers, String::from_utf8_lossy(&bytes).into_owned())
    })
}

#[test]
fn every_page_carries_the_security_headers_and_no_inline_script_or_style() {
    let pages = [
        "/".to_owned(),
        "/search?q=Zhukov".to_owned(),
        format!("/doc/{SEED_ID}"),
        "/people".to_owned(),
        "/person/Zhukov".to_owned(),
        "/archive".to_owned(),
        "/timeline".to_owned(),
        "/no/such/page".to_owned(),
        "/api/v1/documents".to_owned(),
        "/oai?verb=Identify".to_owned(),
    ];
    for page in &pages {
        let (status, headers, body) = get(page);
        assert!(status.as_u16() < 500, "{page}: {status}");
        let csp = headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("default-src 'self'"), "{page}: {csp}");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{page}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{page}: {csp}");
        assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff", "{page}");
        assert_eq!(headers.get("referrer-policy").unwrap(), "same-origin", "{page}");
        assert_eq!(headers.get("x-frame-options").unwrap(), "DENY", "{page}");
        if headers.get("content-type").is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html")) {
            // A CSP without 'unsafe-inline' would block these: the pages must not need them.
            for (i, _) in body.match_indices("<script") {
                let tag = &body[i..i + body[i..].find('>').unwrap()];
                assert!(tag.contains(" src="), "{page}: an inline script: {tag}");
            }
            assert!(!body.contains("<style"), "{page}: an inline stylesheet");
            assert!(!body.contains(" style=\""), "{page}: a style attribute");
            assert!(!body.contains(" onclick=") && !body.contains(" onload="), "{page}: an inline handler");
        }
    }
}

#[test]
fn bounded_query_cost_is_refused_with_a_clear_error_not_computed() {
    let (status, _, body) = get("/api/v1/search?q=a&limit=100000");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("limit must be at most"), "{body}");
    let (status, _, body) = get("/api/v1/search?q=a&offset=100000000");
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let long = "a ".repeat(5000);
    let (status, _, body) = get(&format!("/api/v1/search?q={}", long.replace(' ', "+")));
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, _) = get("/search?q=Zhukov&page=100000000");
    assert!(status.as_u16() < 500, "{status}");
}

/// Characters that break naive URL handling: separators, escapes, traversal, controls encoded,
/// scripts of several directions, combining marks.
fn piece() -> impl Strategy<Value = String> {
    let chars = prop::sample::select(vec![
        'a', 'Z', '0', '9', '-', '_', '.', '~', '/', '%', '?', '&', '=', '#', '+', ':', '@', '!', '$', '\'', '(', '*',
        ',', ';', '"', '<', '>', '\\', '^', '`', '{', '|', '}', ' ', '\u{0}', '\u{7f}', 'é', 'Ж', 'ש', 'ع', '中',
        '\u{301}', '\u{202e}', '\u{feff}', '𝄞',
    ]);
    prop::collection::vec(chars, 0..40).prop_map(|v| v.into_iter().collect())
}

/// Percent-encodes what a URI cannot hold as it is; keeps `%` as it is half the time (so broken
/// escapes like `%zz` and `%` at the end reach the server).
fn encode(s: &str, keep_percent: bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' | '~' | '/' | '?' | '&' | '=' | '+' | ':' | '@' => {
                out.push(c)
            }
            '%' if keep_percent => out.push('%'),
            _ => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

const PREFIXES: &[&str] = &[
    "/",
    "/search?q=",
    "/search?page=",
    "/search?sort=",
    "/doc/",
    "/doc/wilson-113647?",
    "/doc/",
    "/person/",
    "/archive/",
    "/timeline?from=",
    "/oai?verb=",
    "/oai?verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=",
    "/oai?verb=GetRecord&metadataPrefix=tei&identifier=",
    "/api/v1/search?q=",
    "/api/v1/search?limit=",
    "/api/v1/documents?cursor=",
    "/api/v1/documents?from=",
    "/api/v1/documents/",
    "/api/v1/people/",
    "/search/cite.bib?q=",
    "/static/",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn no_path_or_query_string_gets_a_5xx(prefix in prop::sample::select(PREFIXES), a in piece(), b in piece(),
                                           keep_percent in any::<bool>()) {
        let uri = format!("{prefix}{}{}", encode(&a, keep_percent), encode(&b, !keep_percent));
        let Ok(parsed) = uri.parse::<axum::http::Uri>() else { return Ok(()) };
        let (status, _, body) = get(&parsed.to_string());
        prop_assert!(status.as_u16() < 500, "{uri}: {status} {body}");
    }
}

/// A server on a free port, with short timeouts, stopped when the sender is dropped or sent.
struct TestServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    fn start(limits: opis_web::server::Limits) -> TestServer {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            opis_web::serve_with_limits(data(), addr, limits, async {
                let _ = rx.await;
            })
            .expect("serve");
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        TestServer { addr, stop: Some(tx), thread: Some(thread) }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s
    }

    /// Stops the server and waits for it; returns how long that took.
    fn stop(&mut self) -> Duration {
        let started = Instant::now();
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().expect("the server thread ended cleanly");
        }
        started.elapsed()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn read_all(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn limits() -> opis_web::server::Limits {
    opis_web::server::Limits {
        header_read_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(3),
        shutdown_grace: Duration::from_secs(10),
        ..Default::default()
    }
}

#[test]
fn oversized_headers_and_bodies_are_refused() {
    let server = TestServer::start(limits());
    let mut s = server.connect();
    // The server answers as soon as the limit is passed, maybe while the client still writes;
    // the lingering close keeps the answer readable, so write errors are ignored, not the answer.
    // 16 times the limit, so that much is unread when the server answers.
    // The client writes in small pieces, pausing, as a slow client on a loaded machine does.
    let big = "x".repeat(opis_web::server::MAX_HEADER_BYTES * 16);
    let request = format!("GET / HTTP/1.1\r\nHost: a\r\nX-Big: {big}\r\n\r\n");
    let mut refused_writes = 0;
    for (i, piece) in request.as_bytes().chunks(4096).enumerate() {
        if s.write_all(piece).is_err() {
            refused_writes += 1;
        }
        if i % 8 == 7 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let answer = read_all(&mut s);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.200}");
    // hyper writes this answer itself; the connection adds the headers every answer carries.
    let lower = answer.to_ascii_lowercase();
    for h in ["content-security-policy:", "x-content-type-options: nosniff", "referrer-policy:", "x-frame-options:"] {
        assert!(lower.contains(h), "the 431 answer lacks {h}: {answer:.600}");
    }
    // The lingering close read what the client still sent, so no write met a reset.
    assert_eq!(refused_writes, 0, "writes after the refusal met a reset");

    let mut s = server.connect();
    let many: String = (0..opis_web::server::MAX_HEADERS + 1).map(|i| format!("X-H{i}: v\r\n")).collect();
    let _ = write!(s, "GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n");
    let answer = read_all(&mut s);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.200}");

    // A body declared larger than the limit is refused before it is read.
    let mut s = server.connect();
    write!(
        s,
        "POST /oai HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\nverb=Identify&pad=",
        opis_web::server::MAX_BODY_BYTES + 1
    )
    .unwrap();
    let answer = read_all(&mut s);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:.200}");
    let lower = answer.to_ascii_lowercase();
    for h in ["content-security-policy:", "x-content-type-options: nosniff", "referrer-policy:", "x-frame-options:"] {
        assert!(lower.contains(h), "the 413 answer lacks {h}: {answer:.600}");
    }

    // A chunked body that grows past the limit: refused too (the server may close while the
    // client still writes, so write errors are expected).
    let mut s = server.connect();
    s.write_all(
        b"POST /oai HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Transfer-Encoding: chunked\r\n\r\n",
    )
    .unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 8192, "x".repeat(8192));
    for _ in 0..(opis_web::server::MAX_BODY_BYTES / 8192 + 2) {
        if s.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let answer = read_all(&mut s);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:.200}");

    // A request within the limits is answered.
    let mut s = server.connect();
    write!(s, "GET /oai?verb=Identify HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").unwrap();
    let answer = read_all(&mut s);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:.200}");
}

#[test]
fn a_client_that_does_not_read_its_answers_is_cut_off() {
    let limits = opis_web::server::Limits { write_timeout: Duration::from_secs(1), ..limits() };
    let server = TestServer::start(limits);
    // The reading view of the seed, asked for 600 times in one go (pipelined) and not read: far
    // more than the sockets' buffers hold, so the server's writes stall.
    let (status, _, page) = get(&format!("/doc/{SEED_ID}"));
    assert_eq!(status, StatusCode::OK);
    let asked = 600;
    let mut s = server.connect();
    let request = format!("GET /doc/{SEED_ID} HTTP/1.1\r\nHost: a\r\n\r\n");
    s.write_all(request.repeat(asked).as_bytes()).unwrap();
    // Past the write timeout and the lingering close that follows it, with room for a slow
    // machine to fill the buffers first (about a third of the answers fill them).
    std::thread::sleep(Duration::from_secs(1) + opis_web::server::LINGER_TIME + Duration::from_secs(5));
    let mut received = Vec::new();
    let _ = s.read_to_end(&mut received);
    let answers = received.windows(15).filter(|w| w == b"HTTP/1.1 200 OK").count();
    assert!(answers > 0, "the first answers arrived");
    assert!(
        answers < asked,
        "the server gave up on the connection: {answers} of {asked} answers of {} bytes arrived ({} bytes)",
        page.len(),
        received.len()
    );
}

#[test]
fn a_slow_client_is_cut_off() {
    let server = TestServer::start(limits());
    // Half a request head, then nothing: closed after the header read timeout (1 s here).
    let mut s = server.connect();
    let started = Instant::now();
    s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ").unwrap();
    let answer = read_all(&mut s);
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(5), "held for {waited:?}: {answer}");
    assert!(!answer.contains("200 OK"), "{answer}");

    // A body that never comes: 408 after the request timeout (3 s here).
    let mut s = server.connect();
    let started = Instant::now();
    s.write_all(
        b"POST /oai HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nverb=",
    )
    .unwrap();
    let answer = read_all(&mut s);
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:.200}");
    assert!(waited < Duration::from_secs(8), "held for {waited:?}");
}

#[test]
fn shutdown_finishes_the_request_in_flight() {
    let server = TestServer::start(limits());
    // A POST whose body is half sent: the request is in flight when the shutdown comes.
    let mut s = server.connect();
    let body = "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:opis.local:wilson-113647";
    let (first, rest) = body.split_at(20);
    write!(
        s,
        "POST /oai HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // An idle keep-alive connection, between requests: closed at shutdown, not waited for.
    let mut idle = server.connect();
    idle.write_all(b"GET /static/opis.css HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    let mut buf = [0u8; 12];
    idle.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");

    let addr = server.addr;
    let stopper = std::thread::spawn(move || {
        let mut server = server;
        server.stop()
    });
    std::thread::sleep(Duration::from_millis(500));
    // The listener is closed: new connections are refused.
    assert!(TcpStream::connect(addr).is_err(), "the listener still accepts after shutdown");
    s.write_all(rest.as_bytes()).unwrap();
    let answer = read_all(&mut s);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:.300}");
    assert!(answer.contains("<identifier>oai:opis.local:wilson-113647</identifier>"), "{answer}");
    let took = stopper.join().unwrap();
    assert!(took < Duration::from_secs(8), "shutdown took {took:?}");
    // The idle connection was closed by the shutdown.
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let rest_of_idle = read_all(&mut idle);
    assert!(rest_of_idle.contains("text/css"), "{rest_of_idle:.200}");
}

/// One HTTP/1.1 request on a fresh connection to `server`; the whole raw answer.
fn raw_request(server: &TestServer, request: &str) -> String {
    let mut s = server.connect();
    s.write_all(request.as_bytes()).unwrap();
    read_all(&mut s)
}

#[test]
fn the_server_loop_gives_each_request_its_client_address() {
    // The sign-in limit keys on the client's address, and the audit log records it: through
    // the real server loop the address must be the peer's, never "unknown" (which would make
    // one limit shared by every client).
    let server = TestServer::start(limits());
    let form = raw_request(&server, "GET /signin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let token = |text: &str, before: &str, until: char| -> String {
        let at = text.find(before).unwrap_or_else(|| panic!("{before} in {text}")) + before.len();
        text[at..].chars().take_while(|c| *c != until).collect()
    };
    let cookie = token(&form, "opis_signin=", ';');
    let csrf = token(&form, "name=\"csrf\" value=\"", '"');
    assert!(!cookie.is_empty() && cookie == csrf, "the double-submit token: {cookie:?} / {csrf:?}");
    let body = format!("name=nobody-at-all&password=wrong&csrf={csrf}");
    let answer = raw_request(
        &server,
        &format!(
            "POST /signin HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: opis_signin={cookie}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let store = SqlStore::open(data()).expect("store");
    let failed = store.audit_entries(Some("sign_in_failed"), 10).expect("audit");
    let entry = failed.iter().find(|e| e.actor == "nobody-at-all").expect("the failure is audited");
    assert_eq!(entry.detail, "from 127.0.0.1");
}
