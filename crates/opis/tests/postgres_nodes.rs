//! Two `opis serve` nodes on one PostgreSQL store: a primary and a streaming replica, both
//! started by the test on 127.0.0.1 with `scripts/pg-cluster`. Node A reads and follows the
//! primary; node B reads and follows the replica (`--replica`), writes going to the primary.
//!
//! 1. A document ingested through the primary becomes searchable on both nodes.
//! 2. Node B, SIGKILLed while more documents are ingested and then restarted on the same data
//!    folder, catches up: its index holds what the primary holds, its store view too, and a word
//!    found only in the new documents is found.
//! 3. An ingest SIGKILLed midway leaves both nodes consistent with the store (`opis check`: A
//!    against the primary, B against the replica), and so does the rerun that completes it.
//!
//! Each node's catch-up time is printed (run with `--nocapture`). Where PostgreSQL cannot be
//! started the test says "skipped: …" and passes, unless `OPIS_REQUIRE_POSTGRES` is set.
//!
//! A node's index is measured through the HTTP API: `GET /api/v1/search?q=&limit=0` (the empty
//! query matches every document) gives the documents in the node's index, whereas
//! `GET /api/v1/stats` counts the documents of the store the node reads (for node B, the
//! replica), not its index. The test waits for both.

mod common;

use common::{opis_command, scratch, shared};
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the nodes apply the store's change log.
const FOLLOW_MS: &str = "200";
/// How often the test polls.
const POLL: Duration = Duration::from_millis(50);
/// How long a node may take to catch up before the test fails.
const CATCH_UP: Duration = Duration::from_secs(30);

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL clusters

fn pg_cluster_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg-cluster")
}

/// Runs `scripts/pg-cluster ARGS…`: its stdout, or what went wrong.
fn pg_cluster(args: &[&OsStr]) -> Result<String, String> {
    let out = Command::new(pg_cluster_script())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", pg_cluster_script().display()))?;
    if !out.status.success() {
        return Err(format!("pg-cluster {args:?}: {}\n{}", out.status, text(&out)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `scripts/pg-cluster ARGS…` that print a URL (the last line of stdout): the URL.
fn pg_cluster_url(args: &[&OsStr]) -> Result<String, String> {
    let stdout = pg_cluster(args)?;
    let url = stdout.lines().last().map(|l| l.trim().to_owned()).unwrap_or_default();
    if url.starts_with("postgres://") { Ok(url) } else { Err(format!("pg-cluster {args:?} printed no URL: {stdout}")) }
}

/// The clusters this test started; stopped (and their folders removed) when dropped, replicas
/// first, also when the test fails.
struct Clusters {
    dirs: Vec<PathBuf>,
}

impl Clusters {
    fn dir(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("opis-pgnodes-{}-{name}", std::process::id()))
    }

    fn start_primary(&mut self, name: &str) -> Result<String, String> {
        let dir = Self::dir(name);
        let _ = pg_cluster(&["stop".as_ref(), dir.as_os_str()]); // a leftover of an earlier run
        self.dirs.push(dir.clone());
        pg_cluster_url(&["start".as_ref(), dir.as_os_str()])
    }

    fn start_replica(&mut self, primary: &str, name: &str) -> Result<String, String> {
        let dir = Self::dir(name);
        let _ = pg_cluster(&["stop".as_ref(), dir.as_os_str()]);
        self.dirs.push(dir.clone());
        pg_cluster_url(&["replica".as_ref(), Self::dir(primary).as_os_str(), dir.as_os_str()])
    }
}

impl Drop for Clusters {
    fn drop(&mut self) {
        for dir in self.dirs.iter().rev() {
            if let Err(e) = pg_cluster(&["stop".as_ref(), dir.as_os_str()]) {
                eprintln!("warning: {e}");
            }
        }
    }
}

/// A folder removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether a PostgreSQL that cannot be started fails the test (`OPIS_REQUIRE_POSTGRES` set, as
/// the store's unit tests read it) instead of skipping it.
fn postgres_required() -> bool {
    std::env::var_os("OPIS_REQUIRE_POSTGRES").is_some()
}

// ---------------------------------------------------------------------------------------------
// The opis binary

/// `opis --data DATA --store STORE`, with none of the caller's node settings.
fn opis_on(data: &Path, store: &str) -> Command {
    let mut c = opis_command(data);
    c.arg("--store")
        .arg(store)
        .env_remove("OPIS_STORE_REPLICA")
        .env_remove("OPIS_STORE_SERVER")
        .env_remove("OPIS_FOLLOW_MS")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

fn run_ok(mut c: Command, what: &str) -> Output {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: cannot run opis: {e}"));
    assert!(out.status.success(), "{what}: {}\n{}", out.status, text(&out));
    out
}

/// The documents in the store at `store` (`opis stats --json`), read through `probe`.
fn store_documents(probe: &Path, store: &str) -> u64 {
    let out = run_ok(
        {
            let mut c = opis_on(probe, store);
            c.args(["stats", "--json"]);
            c
        },
        "opis stats",
    );
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stats JSON");
    stats["documents"].as_u64().expect("stats.documents")
}

/// The ids of the documents in `file` (`opis parse`).
fn parsed_ids(file: &Path) -> Vec<String> {
    let out = run_ok(
        {
            let mut c = Command::new(env!("CARGO_BIN_EXE_opis"));
            c.arg("parse").arg(file).stdin(Stdio::null());
            c
        },
        "opis parse",
    );
    serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<serde_json::Value>()
        .map(|d| d.expect("parse JSON")["id"].as_str().expect("id").to_owned())
        .collect()
}

/// `opis check --data DATA --store STORE` must say the store and the index agree.
fn check(data: &Path, store: &str, what: &str) {
    let mut c = opis_on(data, store);
    c.arg("check");
    let out = run_ok(c, &format!("opis check ({what})"));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("ok: ") && said.contains("store and index agree"), "{what}: {}", text(&out));
    eprintln!("opis check ({what}): {}", said.trim());
}

/// A running `opis ingest`, killed (SIGKILL) when dropped; its stderr is read as it comes (a
/// full pipe would stall it).
struct Running {
    child: Child,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_ingest(data: &Path, store: &str, paths: &[PathBuf], batch: Option<&str>) -> Running {
    let mut c = opis_on(data, store);
    c.arg("ingest").args(paths).stdout(Stdio::null()).stderr(Stdio::piped());
    if let Some(n) = batch {
        c.env("OPIS_BATCH_DOCUMENTS", n);
    }
    let mut child = c.spawn().expect("spawn opis ingest");
    let mut err = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    Running { child, stderr: Some(stderr) }
}

/// Waits for an ingest to end: its status and stderr.
fn finish(mut ingest: Running) -> (ExitStatus, String) {
    let status = ingest.child.wait().expect("wait for opis ingest");
    let err = ingest.stderr.take().map(|t| t.join().unwrap_or_default()).unwrap_or_default();
    (status, err)
}

// ---------------------------------------------------------------------------------------------
// HTTP

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

/// A query parameter, percent-encoded.
fn encode(q: &str) -> String {
    q.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

// ---------------------------------------------------------------------------------------------
// Nodes

/// One `opis serve` node on its own data folder, listening on a port the system picked
/// (`--addr 127.0.0.1:0`; the address is read from the line the server logs).
struct Node {
    name: &'static str,
    data: PathBuf,
    store: String,
    replica: Option<String>,
    child: Option<Child>,
    addr: SocketAddr,
    /// What the server wrote to stderr, but the one line per request.
    log: Arc<Mutex<Vec<String>>>,
}

impl Node {
    fn start(name: &'static str, data: &Path, store: &str, replica: Option<&str>) -> Node {
        let mut node = Node {
            name,
            data: data.to_owned(),
            store: store.to_owned(),
            replica: replica.map(str::to_owned),
            child: None,
            addr: "127.0.0.1:0".parse().unwrap(),
            log: Arc::new(Mutex::new(Vec::new())),
        };
        node.spawn();
        node
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "node {} runs already", self.name);
        let mut c = opis_on(&self.data, &self.store);
        c.args(["serve", "--addr", "127.0.0.1:0", "--follow-ms", FOLLOW_MS]);
        if let Some(r) = &self.replica {
            c.args(["--replica", r]);
        }
        c.env("RUST_LOG", "info").stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn opis serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let log = Arc::clone(&self.log);
        let name = self.name;
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("the reading room is at http://").nth(1) {
                    let addr = rest.split('/').next().unwrap_or_default().parse::<SocketAddr>();
                    let _ = tx.send(addr.map_err(|e| format!("{line}: {e}")));
                }
                if !line.contains("opis_web: request ") {
                    log.lock().unwrap().push(format!("[{name}] {line}"));
                }
            }
        });
        self.child = Some(child);
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(addr)) => self.addr = addr,
            Ok(Err(e)) => panic!("node {}: cannot read its address: {e}", self.name),
            Err(_) => panic!("node {} did not start listening:\n{}", self.name, self.log_text()),
        }
    }

    fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    fn kill(&mut self) {
        let mut child = self.child.take().expect("the node runs");
        child.kill().expect("SIGKILL"); // SIGKILL
        child.wait().unwrap();
    }

    /// SIGTERM, then waits (30 s at most) for the server to exit.
    fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the node runs");
        let pid = child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("node {} did not exit within 30 s of SIGTERM:\n{}", self.name, self.log_text());
            }
            std::thread::sleep(POLL);
        }
    }

    /// Stops the node with SIGTERM: it must finish and exit cleanly.
    fn stop(&mut self) {
        let status = self.terminate();
        assert!(status.success(), "node {} exited with {status} on SIGTERM:\n{}", self.name, self.log_text());
    }

    fn get_json(&self, path: &str) -> Result<serde_json::Value, String> {
        let (status, body) = http_get(self.addr, path).map_err(|e| format!("{path}: {e}"))?;
        if status != 200 {
            return Err(format!("{path}: {status} {}", String::from_utf8_lossy(&body)));
        }
        serde_json::from_slice(&body).map_err(|e| format!("{path}: {e}"))
    }

    /// The ids of the hits of `q` (documents and turns).
    fn search_ids(&self, q: &str) -> Vec<String> {
        let v = self.get_json(&format!("/api/v1/search?q={}&limit=100", encode(q))).unwrap_or_else(|e| {
            panic!("node {}: {e}\n{}", self.name, self.log_text());
        });
        v["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect()
    }

    /// The documents in the node's index (the empty query matches every document).
    fn indexed(&self) -> u64 {
        let v = self.get_json("/api/v1/search?q=&limit=0").unwrap_or_else(|e| {
            panic!("node {}: {e}\n{}", self.name, self.log_text());
        });
        v["total"].as_u64().unwrap()
    }

    /// The documents of the store the node reads (`/api/v1/stats`).
    fn stored(&self) -> u64 {
        let v = self.get_json("/api/v1/stats").unwrap_or_else(|e| {
            panic!("node {}: {e}\n{}", self.name, self.log_text());
        });
        v["documents"].as_u64().unwrap()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            let log = self.log_text();
            if !log.is_empty() {
                eprintln!("--- node {} log ---\n{log}", self.name);
            }
        }
    }
}

/// Polls until `done(node)` holds for every node; how long each took from `since`.
fn wait_for_all(nodes: &[&Node], since: Instant, what: &str, mut done: impl FnMut(&Node) -> bool) -> Vec<Duration> {
    let mut took: Vec<Option<Duration>> = vec![None; nodes.len()];
    let deadline = Instant::now() + CATCH_UP;
    loop {
        for (i, node) in nodes.iter().enumerate() {
            if took[i].is_none() && done(node) {
                took[i] = Some(since.elapsed());
            }
        }
        if took.iter().all(Option::is_some) {
            return took.into_iter().map(Option::unwrap).collect();
        }
        if Instant::now() > deadline {
            let late: Vec<&str> = nodes.iter().zip(&took).filter(|(_, t)| t.is_none()).map(|(n, _)| n.name).collect();
            let logs: Vec<String> = nodes.iter().map(|n| n.log_text()).collect();
            panic!("{what}: node(s) {late:?} not there after {CATCH_UP:?}\n{}", logs.join("\n"));
        }
        std::thread::sleep(POLL);
    }
}

/// The catch-up times measured, printed as they come and again at the end.
struct Timings(Vec<String>);

impl Timings {
    fn add(&mut self, line: String) {
        eprintln!("timing: {line}");
        self.0.push(line);
    }
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

// ---------------------------------------------------------------------------------------------

#[test]
fn two_nodes_on_a_primary_and_its_replica_follow_ingests_restarts_and_killed_ingests() {
    let started = Instant::now();

    // 1. The primary and its streaming replica.
    let mut clusters = Clusters { dirs: Vec::new() };
    let urls =
        clusters.start_primary("primary").and_then(|p| clusters.start_replica("primary", "replica").map(|r| (p, r)));
    let (primary, replica) = match urls {
        Ok(urls) => urls,
        Err(e) if !postgres_required() => {
            eprintln!(
                "skipped: PostgreSQL could not be started with scripts/pg-cluster (set OPIS_REQUIRE_POSTGRES=1 to fail instead): {e}"
            );
            return;
        }
        Err(e) => panic!("OPIS_REQUIRE_POSTGRES is set and PostgreSQL could not be started: {e}"),
    };
    eprintln!("primary {primary}, replica {replica} ({} ms)", started.elapsed().as_millis());

    let scratch_dir = Scratch(scratch("postgres-nodes"));
    let dir = scratch_dir.0.clone();
    let probe = dir.join("probe"); // for `opis stats` on the primary
    let ingest_dir = dir.join("ingest");
    let data_a = dir.join("node-a");
    let data_b = dir.join("node-b");
    let mut timings = Timings(Vec::new());

    // 2. Node A on the primary, node B reading the replica.
    let mut a = Node::start("A", &data_a, &primary, None);
    let mut b = Node::start("B", &data_b, &primary, Some(&replica));
    eprintln!("node A at {}, node B at {} ({} ms)", a.addr, b.addr, started.elapsed().as_millis());
    assert_eq!(a.indexed(), 0);
    assert_eq!(b.indexed(), 0);

    // 3. The seed, ingested through the primary, becomes searchable on both nodes.
    let seed_file = shared().join("seed/presidium-1956-10-30.txt");
    let seed_ids = parsed_ids(&seed_file);
    assert_eq!(seed_ids.len(), 1, "{seed_ids:?}");
    let seed_id = seed_ids[0].clone();
    let phrase = "\"Pancha Shila\"";
    assert!(std::fs::read_to_string(&seed_file).unwrap().contains("Pancha Shila"));
    assert!(a.search_ids(phrase).is_empty() && b.search_ids(phrase).is_empty());
    let t0 = Instant::now();
    let ingest = spawn_ingest(&ingest_dir, &primary, &[shared().join("seed")], None);
    let (status, err) = finish(ingest);
    assert!(status.success(), "ingest of the seed: {status}\n{err}");
    let ingested = t0.elapsed();
    let took = wait_for_all(&[&a, &b], t0, "the seed searchable", |n| n.search_ids(phrase).contains(&seed_id));
    for (node, t) in ["A", "B"].iter().zip(&took) {
        timings.add(format!(
            "step 3: node {node} found {seed_id} by {phrase} {} after the ingest started ({} after it ended, the ingest took {})",
            ms(*t),
            ms(t.saturating_sub(ingested)),
            ms(ingested)
        ));
    }
    assert_eq!(store_documents(&probe, &primary), 1);

    // 4. Node B is killed; more documents are ingested; B restarted on its folder catches up.
    let akoma = shared().join("corpora/akoma-ntoso");
    let kenya = akoma.join("ke_Debate_Bungeni_2011-06-10.xml");
    let kenya_id = parsed_ids(&kenya).into_iter().next().expect("the Kenyan debate's id");
    let word = "Bungeni"; // in the Kenyan debate record, not in the seed
    assert!(a.search_ids(word).is_empty(), "{word} is found before the new documents are in");
    b.kill();
    let t0 = Instant::now();
    let (status, err) = finish(spawn_ingest(&ingest_dir, &primary, std::slice::from_ref(&akoma), None));
    assert!(status.success(), "ingest of {}: {status}\n{err}", akoma.display());
    let ingested = t0.elapsed();
    let total = store_documents(&probe, &primary);
    assert!(total > 1, "the primary holds {total} documents after the second ingest");
    let took = wait_for_all(&[&a], t0, "node A follows the second ingest", |n| {
        n.indexed() == total && n.search_ids(word).contains(&kenya_id)
    });
    timings.add(format!(
        "step 4: node A indexed the {} new documents {} after the ingest started ({} after it ended)",
        total - 1,
        ms(took[0]),
        ms(took[0].saturating_sub(ingested))
    ));
    let t0 = Instant::now();
    b.spawn();
    let listening = t0.elapsed();
    let took = wait_for_all(&[&b], t0, "node B catches up after its restart", |n| {
        n.indexed() == total && n.stored() == total && n.search_ids(word).contains(&kenya_id)
    });
    timings.add(format!(
        "step 4: node B restarted: listening after {}, caught up ({total} documents, {word} found) {} after it was started",
        ms(listening),
        ms(took[0])
    ));
    assert!(b.search_ids(phrase).contains(&seed_id));

    // 5. An ingest of every corpus, SIGKILLed midway (batches of ten documents, killed once the
    //    primary holds at least twenty of its documents).
    let corpora = [shared().join("corpora")];
    let before = total;
    let t0 = Instant::now();
    let mut ingest = spawn_ingest(&ingest_dir, &primary, &corpora, Some("10"));
    let kill_deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(status) = ingest.child.try_wait().unwrap() {
            panic!("the ingest of the corpora ended ({status}) before the test could kill it midway");
        }
        let n = store_documents(&probe, &primary);
        if n >= before + 20 || Instant::now() > kill_deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    ingest.child.kill().unwrap(); // SIGKILL
    let (status, _) = finish(ingest);
    let killed = Instant::now();
    assert!(!status.success(), "the ingest was killed: {status}");
    let killed_after = killed - t0;
    // A transaction committed just as the client died still lands: wait for the count to settle.
    let mut total = store_documents(&probe, &primary);
    let took = loop {
        let took = wait_for_all(&[&a, &b], killed, "both nodes consistent after the killed ingest", |n| {
            n.indexed() == total && n.stored() == total
        });
        let now = store_documents(&probe, &primary);
        if now == total {
            break took;
        }
        total = now;
    };
    assert!(total > before, "the killed ingest stored nothing ({total} documents)");
    for (node, t) in ["A", "B"].iter().zip(&took) {
        timings.add(format!(
            "step 5: ingest SIGKILLed after {} with {} of its documents stored; node {node} consistent {} after the kill",
            ms(killed_after),
            total - before,
            ms(*t)
        ));
    }
    a.stop();
    b.stop();
    check(&data_a, &primary, "node A against the primary, after the killed ingest");
    check(&data_b, &replica, "node B against the replica, after the killed ingest");
    check(&data_b, &primary, "node B against the primary, after the killed ingest");
    let killed_total = total;

    // The nodes start again, and the killed ingest is rerun to completion while they follow.
    let t0 = Instant::now();
    a.spawn();
    b.spawn();
    eprintln!("nodes restarted in {} ms", t0.elapsed().as_millis());
    let t0 = Instant::now();
    let (status, err) = finish(spawn_ingest(&ingest_dir, &primary, &corpora, None));
    assert!(status.success(), "rerun of the killed ingest: {status}\n{err}");
    let ingested = t0.elapsed();
    check(&ingest_dir, &primary, "the ingest's own folder after the rerun");
    let total = store_documents(&probe, &primary);
    assert!(
        total > killed_total,
        "the kill was not midway: the killed ingest had stored {killed_total} documents, the whole run {total}"
    );
    let took =
        wait_for_all(&[&a, &b], t0, "both nodes follow the rerun", |n| n.indexed() == total && n.stored() == total);
    for (node, t) in ["A", "B"].iter().zip(&took) {
        timings.add(format!(
            "step 5: rerun stored {} more documents ({total} in all) in {}; node {node} caught up {} after the rerun started ({} after it ended)",
            total - killed_total,
            ms(ingested),
            ms(*t),
            ms(t.saturating_sub(ingested))
        ));
    }
    assert!(a.search_ids(phrase).contains(&seed_id) && b.search_ids(phrase).contains(&seed_id));
    a.stop();
    b.stop();
    check(&data_a, &primary, "node A against the primary, after the rerun");
    check(&data_b, &replica, "node B against the replica, after the rerun");

    eprintln!("catch-up times measured (follow every {FOLLOW_MS} ms):");
    for line in &timings.0 {
        eprintln!("  {line}");
    }
    eprintln!("whole test: {} ms", started.elapsed().as_millis());
    drop(a);
    drop(b);
    drop(clusters);
    drop(scratch_dir);
}
