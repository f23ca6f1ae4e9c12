//! `oai`: a full OAI-PMH harvest over HTTP next to reading the same records straight from the
//! store, in the same run (issue 6, the speed line).
//!
//! The reading room is served in this process on a free loopback port (its own runtime and
//! threads); a harvester on the main thread follows the resumption tokens of
//! `ListRecords` (`oai_dc`, then `tei`) and `ListIdentifiers` over one keep-alive HTTP/1.1
//! connection, counting records and bytes. The store side reads the same records with the same
//! keyset queries the provider makes (`list_changed_documents`, pages of the same size), and
//! once more with one scan (`for_each_document`). Every side must see every document.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use opis_store::listing::{ChangeCursor, ChangeFilter};
use opis_store::{SqlStore, Store};

use crate::ingest::OPIS_DIR;

/// One timed pass over the collection.
pub struct Pass {
    pub what: String,
    pub records: u64,
    pub requests: u64,
    pub bytes: u64,
    pub secs: f64,
}

pub struct OaiReport {
    pub documents: u64,
    pub page_size: usize,
    pub passes: Vec<Pass>,
}

/// Harvests `data/opis` (a folder `opis-bench ingest` made) over HTTP and from the store.
pub fn run(data: &Path) -> Result<OaiReport> {
    let dir = data.join(OPIS_DIR);
    anyhow::ensure!(
        dir.join("store.sqlite3").exists(),
        "{} holds no opis store; run `opis-bench ingest` first",
        dir.display()
    );
    let store = SqlStore::open(&dir)?;
    let documents = store.stats()?.documents;
    let settings = opis_web::oai::OaiSettings::from_env();
    let page_size = settings.page_size;

    let addr = {
        let probe = TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?
    };
    let serve_dir = dir.clone();
    std::thread::spawn(move || {
        if let Err(e) = opis_web::serve_until(&serve_dir, addr, std::future::pending()) {
            eprintln!("serving {}: {e}", serve_dir.display());
        }
    });
    let mut client = wait_for(addr)?;

    let mut passes = Vec::new();
    // The store first and last, so that a cold cache does not favour either side.
    passes.push(store_pages(&store, page_size, documents)?);
    for (verb, prefix) in [("ListRecords", "oai_dc"), ("ListIdentifiers", "oai_dc"), ("ListRecords", "tei")] {
        eprintln!("oai: harvesting {verb} {prefix} from http://{addr}/oai");
        passes.push(harvest(&mut client, verb, prefix, documents)?);
    }
    passes.push(store_pages(&store, page_size, documents)?);
    passes.push(store_scan(&store, documents)?);
    Ok(OaiReport { documents, page_size, passes })
}

fn wait_for(addr: SocketAddr) -> Result<Client> {
    for _ in 0..300 {
        if let Ok(stream) = TcpStream::connect(addr) {
            return Client::new(stream, addr);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("the server did not come up on {addr}")
}

fn store_pages(store: &SqlStore, page_size: usize, documents: u64) -> Result<Pass> {
    let start = Instant::now();
    let (mut records, mut requests) = (0u64, 0u64);
    let mut after: Option<ChangeCursor> = None;
    loop {
        let page = store.list_changed_documents(&ChangeFilter::default(), after.as_ref(), page_size)?;
        requests += 1;
        let Some(last) = page.last() else { break };
        after = Some(ChangeCursor { updated_at: last.updated_at.clone(), id: last.document.id.clone() });
        records += page.len() as u64;
        if page.len() < page_size {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(records == documents, "store pages gave {records} records of {documents}");
    let what = format!("store: keyset pages of {page_size} (the provider's queries, JSON parsed)");
    Ok(Pass { what, records, requests, bytes: 0, secs })
}

fn store_scan(store: &SqlStore, documents: u64) -> Result<Pass> {
    let start = Instant::now();
    let mut records = 0u64;
    store.for_each_document(&mut |_| {
        records += 1;
        Ok(())
    })?;
    let secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(records == documents, "the store scan gave {records} records of {documents}");
    Ok(Pass { what: "store: one scan (`for_each_document`)".into(), records, requests: 1, bytes: 0, secs })
}

fn harvest(client: &mut Client, verb: &str, prefix: &str, documents: u64) -> Result<Pass> {
    let start = Instant::now();
    let (mut records, mut requests, mut bytes) = (0u64, 0u64, 0u64);
    let mut path = format!("/oai?verb={verb}&metadataPrefix={prefix}");
    let item = if verb == "ListRecords" { "<record>" } else { "<header>" };
    loop {
        let body = client.get(&path)?;
        requests += 1;
        bytes += body.len() as u64;
        if body.contains("<error ") {
            bail!("{path}: {}", &body[body.find("<error ").unwrap_or(0)..].chars().take(200).collect::<String>());
        }
        records += body.matches(item).count() as u64;
        let token = body
            .find("<resumptionToken")
            .and_then(|at| body[at..].find('>').map(|end| at + end + 1))
            .and_then(|from| body[from..].find("</resumptionToken>").map(|len| &body[from..from + len]));
        match token {
            // Tokens are hex: safe in a URL as they stand.
            Some(t) if !t.is_empty() => path = format!("/oai?verb={verb}&resumptionToken={t}"),
            _ => break,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(records == documents, "{verb} {prefix} harvested {records} records of {documents}");
    Ok(Pass { what: format!("HTTP: {verb} {prefix}"), records, requests, bytes, secs })
}

/// A minimal HTTP/1.1 client over one keep-alive connection (GET only).
struct Client {
    reader: BufReader<TcpStream>,
    host: String,
}

impl Client {
    fn new(stream: TcpStream, addr: SocketAddr) -> Result<Client> {
        stream.set_nodelay(true)?;
        Ok(Client { reader: BufReader::new(stream), host: addr.to_string() })
    }

    fn get(&mut self, path: &str) -> Result<String> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: keep-alive\r\n\r\n", self.host);
        self.reader.get_mut().write_all(request.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line.split_whitespace().nth(1).unwrap_or("").to_owned();
        let (mut length, mut chunked) = (None, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap_or((h, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                _ => {}
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .context("reading a chunk size")?;
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk)?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            let n = length.context("a response without Content-Length")?;
            body.resize(n, 0);
            self.reader.read_exact(&mut body)?;
        }
        anyhow::ensure!(status == "200", "GET {path}: HTTP {status}");
        Ok(String::from_utf8(body)?)
    }
}
