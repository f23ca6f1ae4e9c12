//! Crash safety, locking, graceful shutdown, and backup/restore of the `opis` binary on real
//! documents (issue 9). Each test compares with an uninterrupted ingest of the same sources:
//! the same documents, versions and content hashes, and `opis check` passing.
//!
//! - kills at failpoints after each of the first store batches and index batches
//!   (`OPIS_FAILPOINT`, batches of ten documents with `OPIS_BATCH_DOCUMENTS`), and SIGKILLs at
//!   random moments, each followed by a rerun;
//! - the same while `opis serve` answers: readers see each document whole (equal to the
//!   uninterrupted run's) or not at all, never a 5xx;
//! - a second ingest on a locked data folder refuses with a clear message;
//! - a full disk (a small tmpfs mounted by the test; needs root) gives a clear error, keeps what
//!   was committed intact, and a rerun with space finishes the job;
//! - SIGTERM lets `opis serve` finish the request in flight;
//! - `opis backup` while serving, `opis restore` into an empty folder: same content hashes.

mod common;

use common::{Listing, listing, opis, opis_command, scratch, shared};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The sources every test ingests: the seed, the Wilson Center exports, FRUS and a ParlaMint
/// sample (100 documents).
fn sources() -> Vec<String> {
    ["seed", "corpora/wilson-center", "corpora/frus", "corpora/parlamint/ParlaMint-GB-samples"]
        .iter()
        .map(|p| shared().join(p).display().to_string())
        .collect()
}

fn ingest_args() -> Vec<String> {
    let mut args = vec!["ingest".to_owned(), "--jobs".to_owned(), "2".to_owned()];
    args.extend(sources());
    args
}

/// The uninterrupted run: its data folder, listing, and each document's JSON.
struct Reference {
    data: PathBuf,
    listing: Listing,
    documents: BTreeMap<String, serde_json::Value>,
    /// `opis people --json` and `opis people --ambiguous --json`.
    people: (String, String),
}

/// The people authority as `opis people` lists it: persons, then ambiguous names.
fn people(data: &Path) -> (String, String) {
    let list = |args: &[&str]| {
        let out = opis(data, args);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    (list(&["people", "--json"]), list(&["people", "--ambiguous", "--json"]))
}

fn reference() -> &'static Reference {
    static REF: OnceLock<Reference> = OnceLock::new();
    REF.get_or_init(|| {
        let data = scratch("reference").join("data");
        let args = ingest_args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = opis(&data, &args);
        assert!(out.status.success(), "{}", text(&out));
        let listing = listing(&data);
        assert_eq!(listing.len(), 100, "the seed, 21 Wilson Center, 77 FRUS, 1 ParlaMint");
        let mut documents = BTreeMap::new();
        for (id, _, _) in &listing {
            let out = opis(&data, &["show", id, "--format", "json"]);
            assert!(out.status.success(), "{}", text(&out));
            documents.insert(id.clone(), serde_json::from_slice(&out.stdout).unwrap());
        }
        let people = people(&data);
        assert!(people.0.contains("\"Zhukov\""), "the seed's speakers are persons: {}", people.0);
        Reference { data, listing, documents, people }
    })
}

/// Every document stored is one the uninterrupted run stored, with the same content hash.
fn assert_whole(data: &Path, what: &str) -> usize {
    let expected: BTreeMap<&str, &str> = reference().listing.iter().map(|(i, _, h)| (i.as_str(), h.as_str())).collect();
    let got = listing(data);
    for (id, version, hash) in &got {
        assert_eq!(*version, 1, "{what}: {id}");
        assert_eq!(expected.get(id.as_str()), Some(&hash.as_str()), "{what}: {id} half-written or foreign");
    }
    got.len()
}

/// Reruns the ingest; then the store and index agree and hold exactly the reference.
fn rerun_and_compare(data: &Path, what: &str) {
    let args = ingest_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = opis(data, &args);
    assert!(out.status.success(), "{what}: rerun: {}", text(&out));
    let check = opis(data, &["check"]);
    assert!(check.status.success(), "{what}: {}", text(&check));
    assert_eq!(listing(data), reference().listing, "{what}: every document exactly once, same content");
    // The names of documents stored before the kill wait to be filed by the next rebuild: the
    // authority comes out as the uninterrupted run's.
    assert!(people(data) == reference().people, "{what}: the people authority differs from the uninterrupted run's");
}

/// Runs the ingest with a failpoint; returns whether it died there.
fn ingest_with_failpoint(data: &Path, point: &str) -> bool {
    let out = opis_command(data)
        .args(ingest_args())
        .env("OPIS_FAILPOINT", point)
        .env("OPIS_BATCH_DOCUMENTS", "10")
        .output()
        .expect("run opis");
    if out.status.success() {
        return false;
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("failpoint {point}")), "{}", text(&out));
    true
}

#[test]
fn a_kill_after_any_batch_then_a_rerun_gives_the_uninterrupted_result() {
    let dir = scratch("failpoints");
    let mut tried = 0;
    for point in ["store_batch", "index_batch"] {
        let mut stored_before = 0;
        for n in 1.. {
            let data = dir.join(format!("{point}-{n}"));
            if !ingest_with_failpoint(&data, &format!("{point}:{n}")) {
                // Fewer than n batches: every point was tried.
                assert!(n > 5, "{point}: only {n} batches");
                let _ = std::fs::remove_dir_all(&data);
                break;
            }
            tried += 1;
            let stored = assert_whole(&data, &format!("{point}:{n}"));
            assert!(stored > stored_before, "{point}:{n}: each batch adds documents ({stored_before} → {stored})");
            stored_before = stored;
            rerun_and_compare(&data, &format!("{point}:{n}"));
            let _ = std::fs::remove_dir_all(&data);
        }
    }
    // The index commit at the end of a run, then the rerun finds nothing to do.
    let data = dir.join("index_commit");
    assert!(ingest_with_failpoint(&data, "index_commit:1"));
    tried += 1;
    rerun_and_compare(&data, "index_commit:1");
    eprintln!("kill points tried: {tried}, all passed");
}

/// A small random generator (xorshift), seeded from the clock and printed for replays.
fn random_delays(n: usize, max_ms: u64) -> Vec<u64> {
    let seed = std::env::var("OPIS_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    eprintln!("random kill delays: OPIS_TEST_SEED={seed}");
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % max_ms
        })
        .collect()
}

fn spawn_ingest(data: &Path, batch: &str) -> Child {
    opis_command(data)
        .args(ingest_args())
        .env("OPIS_BATCH_DOCUMENTS", batch)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// How long an uninterrupted ingest with small batches takes here, to aim the random kills.
fn ingest_time() -> u64 {
    let data = scratch("timing").join("data");
    let started = Instant::now();
    let mut child = spawn_ingest(&data, "5");
    assert!(child.wait().unwrap().success());
    (started.elapsed().as_millis() as u64).max(50)
}

#[test]
fn sigkill_at_random_moments_then_a_rerun_gives_the_uninterrupted_result() {
    let dir = scratch("random");
    let span = ingest_time();
    let delays = random_delays(8, span);
    for (round, delay) in delays.into_iter().enumerate() {
        let data = dir.join(format!("round-{round}"));
        let mut child = spawn_ingest(&data, "5");
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        assert_whole(&data, &format!("round {round} (killed after {delay} ms)"));
        rerun_and_compare(&data, &format!("round {round} (killed after {delay} ms)"));
        let _ = std::fs::remove_dir_all(&data);
    }
}

/// A minimal HTTP/1.1 GET: (status, body).
fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    parse_response(&raw)
        .ok_or_else(|| std::io::Error::other(format!("bad response: {:?}", String::from_utf8_lossy(&raw))))
}

fn parse_response(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let mut body = raw[end + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).ok()?.trim(), 16).ok()?;
            if size == 0 {
                break;
            }
            out.extend_from_slice(rest.get(line_end + 2..line_end + 2 + size)?);
            rest = rest.get(line_end + 4 + size..)?;
        }
        body = out;
    }
    Some((status, body))
}

/// `opis serve` on a free port.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(data: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let child = opis_command(data)
            .args(["serve", "--addr", &addr.to_string()])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while http_get(addr, "/static/opis.css").is_err() {
            assert!(Instant::now() < deadline, "opis serve did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, addr }
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads documents, searches and the OAI-PMH list from the server until stopped: every document
/// answered is the reference's, whole; nothing answers 5xx. Returns the requests made.
fn readers(addr: SocketAddr, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let ids: Vec<&String> = reference().documents.keys().collect();
        let requests = AtomicUsize::new(0);
        let mut i = 0usize;
        while !stop.load(Ordering::Relaxed) {
            i += 1;
            let id = ids[i % ids.len()];
            let (status, body) = http_get(addr, &format!("/api/v1/documents/{id}")).expect("the server answers");
            requests.fetch_add(1, Ordering::Relaxed);
            match status {
                200 => {
                    let record: serde_json::Value = serde_json::from_slice(&body).expect("whole JSON");
                    assert_eq!(&record["document"], &reference().documents[id], "{id}: a document not whole");
                }
                404 => {}
                other => panic!("/api/v1/documents/{id}: {other} {}", String::from_utf8_lossy(&body)),
            }
            let path = match i % 4 {
                0 => "/search?q=Zhukov".to_owned(),
                1 => format!("/doc/{id}"),
                2 => "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc".to_owned(),
                _ => "/api/v1/search?q=troops&limit=20".to_owned(),
            };
            let (status, body) = http_get(addr, &path).expect("the server answers");
            requests.fetch_add(1, Ordering::Relaxed);
            assert!(status == 200 || status == 404, "{path}: {status} {}", String::from_utf8_lossy(&body));
        }
        requests.into_inner()
    })
}

#[test]
fn kills_while_serving_leave_readers_only_whole_documents() {
    let dir = scratch("serving");
    let data = dir.join("data");
    // The server starts on an empty folder; ingests run beside it, killed and rerun.
    assert!(opis(&data, &["stats"]).status.success());
    let mut server = Server::start(&data);
    let stop = Arc::new(AtomicBool::new(false));
    let reading = readers(server.addr, Arc::clone(&stop));
    for n in [1, 3, 6] {
        assert!(ingest_with_failpoint(&data, &format!("store_batch:{n}")) || n > 1);
        assert_whole(&data, &format!("serving, store_batch:{n}"));
    }
    let span = ingest_time();
    for (round, delay) in random_delays(3, span).into_iter().enumerate() {
        let mut child = spawn_ingest(&data, "5");
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        child.wait().unwrap();
        assert_whole(&data, &format!("serving, random round {round}"));
    }
    rerun_and_compare(&data, "serving");
    // The server sees the finished collection.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = http_get(server.addr, "/api/v1/stats").unwrap();
        assert_eq!(status, 200);
        let stats: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if stats["documents"] == 100 {
            break;
        }
        assert!(Instant::now() < deadline, "the server never saw 100 documents: {stats}");
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::Relaxed);
    let requests = reading.join().expect("the readers saw only whole documents and no 5xx");
    assert!(requests > 20, "only {requests} requests");
    eprintln!("readers made {requests} requests during the kills, all correct");
    assert!(server.terminate().success());
}

#[test]
fn a_second_writer_on_a_locked_data_folder_refuses_with_a_clear_message() {
    let dir = scratch("lock");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let lock =
        std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(data.join("opis.lock")).unwrap();
    lock.lock().unwrap();
    let seed = shared().join("seed").display().to_string();
    for args in [vec!["ingest", seed.as_str()], vec!["reindex"], vec!["backup", dir.join("b").to_str().unwrap()]] {
        let out = opis(&data, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("is in use by"), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("only one ingest, reindex, backup or restore"), "{}", text(&out));
    }
    assert!(!data.join("store.sqlite3").exists() || listing(&data).is_empty(), "nothing was written");
    lock.unlock().unwrap();

    // Two ingests started together: one refuses or both finish; the result is the reference.
    let start =
        || opis_command(&data).args(ingest_args()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let (a, b) = (start(), start());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() || b.status.success());
    for o in [&a, &b] {
        if !o.status.success() {
            // It names the other ingest (which writes its name just after taking the lock).
            assert!(String::from_utf8_lossy(&o.stderr).contains("is in use by `opis ingest` (process"), "{}", text(o));
        }
    }
    rerun_and_compare(&data, "two ingests");
}

#[test]
fn a_full_disk_gives_a_clear_error_and_loses_nothing_committed() {
    let dir = scratch("diskfull");
    let mount = dir.join("mnt");
    std::fs::create_dir_all(&mount).unwrap();
    // The reference data folder needs several MB; give a fraction of it.
    let needed: u64 = walk_size(&reference().data);
    let size_kb = (needed / 1024 / 3).max(512);
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size_kb}k"), "tmpfs"])
        .arg(&mount)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIPPED: cannot mount a tmpfs here (not root?); the disk-full case was not run");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount.clone());
    let data = mount.join("data");
    let out = opis_command(&data).args(ingest_args()).env("OPIS_BATCH_DOCUMENTS", "10").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let message = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("disk full ({size_kb} KB of {} KB needed): {message}", needed / 1024);
    assert!(
        message.contains("the disk holding the data folder is full") || message.contains("No space left"),
        "a clear error about the disk: {message}"
    );
    // Said once, not SQLite's text three times over.
    assert!(message.matches("full").count() <= 1, "said once: {message}");
    assert!(!message.contains("panicked"), "{message}");
    // What was committed is whole (the store opens read-only if it must: list reads it).
    let kept = assert_whole(&data, "disk full");
    eprintln!("disk full: {kept} documents kept whole");
    // More space, and the same command finishes the job.
    assert!(
        Command::new("mount")
            .args(["-o", &format!("remount,size={}k", needed / 1024 * 4 + 4096)])
            .arg(&mount)
            .status()
            .unwrap()
            .success()
    );
    rerun_and_compare(&data, "after the disk was full");
}

fn walk_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| {
                    let m = e.metadata().unwrap();
                    if m.is_dir() { walk_size(&e.path()) } else { m.len() }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let mut server = Server::start(&reference().data);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let body = "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:opis.local:wilson-113647";
    let (first, rest) = body.split_at(25);
    write!(
        s,
        "POST /oai HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(TcpStream::connect(server.addr).is_err(), "new connections are refused once shutting down");
    s.write_all(rest.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let (status, answer) = parse_response(&raw).expect("a whole response");
    let answer = String::from_utf8_lossy(&answer);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("<identifier>oai:opis.local:wilson-113647</identifier>"), "{answer:.500}");
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "opis serve exits cleanly on SIGTERM: {exit}");
}

#[test]
fn backup_while_serving_then_restore_into_an_empty_folder_gives_the_same_content() {
    let dir = scratch("backup");
    // A copy of the reference to serve and back up (the reference stays untouched).
    let data = dir.join("data");
    let args = ingest_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert!(opis(&data, &args).status.success());
    let mut server = Server::start(&data);
    let stop = Arc::new(AtomicBool::new(false));
    let reading = readers(server.addr, Arc::clone(&stop));

    let backup = dir.join("backup");
    let out = opis(&data, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("backed up 100 documents"), "{}", text(&out));
    let again = opis(&data, &["backup", backup.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again).contains("is not empty"), "{}", text(&again));

    let restored = dir.join("restored");
    let out = opis(&restored, &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("restored 100 documents"), "{}", text(&out));
    let check = opis(&restored, &["check"]);
    assert!(check.status.success(), "{}", text(&check));
    assert_eq!(listing(&restored), reference().listing);
    let search = opis(&restored, &["search", "speaker:Zhukov troops", "--json"]);
    assert!(search.status.success());
    let hits: serde_json::Value = serde_json::from_slice(&search.stdout).unwrap();
    assert!(hits["total"].as_u64().unwrap() >= 2, "the restored index answers: {hits}");

    // A backup whose index copy is missing still restores: the index is rebuilt from the store.
    let store_only = dir.join("store-only");
    std::fs::create_dir_all(&store_only).unwrap();
    for f in ["backup.json", "store.sqlite3"] {
        std::fs::copy(backup.join(f), store_only.join(f)).unwrap();
    }
    let rebuilt = dir.join("rebuilt");
    let out = opis(&rebuilt, &["restore", store_only.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(opis(&rebuilt, &["check"]).status.success());
    assert_eq!(listing(&rebuilt), reference().listing);

    // Restoring over a data folder that holds something is refused.
    let out = opis(&data, &["restore", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("is not empty"), "{}", text(&out));

    // A damaged backup is refused, not restored.
    let damaged = dir.join("damaged");
    std::fs::create_dir_all(&damaged).unwrap();
    std::fs::copy(backup.join("backup.json"), damaged.join("backup.json")).unwrap();
    let mut bytes = std::fs::read(backup.join("store.sqlite3")).unwrap();
    let half = bytes.len() / 2;
    bytes.truncate(half);
    std::fs::write(damaged.join("store.sqlite3"), &bytes).unwrap();
    let out = opis(&dir.join("from-damaged"), &["restore", damaged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    stop.store(true, Ordering::Relaxed);
    reading.join().expect("readers were served correctly during the backup");
    assert!(server.terminate().success());
}
