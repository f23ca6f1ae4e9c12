//! `ingest`: the same JSON Lines into opis (store + index), SQLite FTS5 and a bare tantivy
//! index, each side in its own child process so that its peak RSS is its own.
//!
//! The parent re-executes this binary with the hidden `--side opis|fts5|bare` flag, one side
//! after the other (never at once: the machine's cores are the budget). The opis child runs
//! `opis ingest` itself (the binary beside this one) and reports its figures; the FTS5 and bare
//! children read the input on a thread of their own (JSON → `Document`, batches of [`BATCH`])
//! while their main thread writes. Each prints one JSON line with its figures (including
//! `VmHWM`), and the parent measures the folder it left.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use opis_model::Document;
use serde::{Deserialize, Serialize};

use crate::{bare, fts};

/// Documents per store transaction, per FTS5 transaction.
pub const BATCH: usize = 500;

/// The sub-folders of the data folder, one per system.
pub const OPIS_DIR: &str = "opis";
pub const FTS5_DIR: &str = "fts5";
pub const BARE_DIR: &str = "bare-tantivy";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Opis,
    Fts5,
    Bare,
}

impl Side {
    pub fn dir(self) -> &'static str {
        match self {
            Side::Opis => OPIS_DIR,
            Side::Fts5 => FTS5_DIR,
            Side::Bare => BARE_DIR,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Side::Opis => "opis",
            Side::Fts5 => "fts5",
            Side::Bare => "bare",
        }
    }
}

/// What one side's child reports.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SideReport {
    pub documents: usize,
    pub input_bytes: u64,
    /// From opening the target to closing it, input reading included.
    pub wall_s: f64,
    /// FTS5: time in insert transactions; bare: time in `add_document`; opis: not measured (0:
    /// `opis ingest` overlaps parsing, storing and indexing).
    pub write_s: f64,
    /// Not measured on any side now (0); kept so earlier reports still read.
    #[serde(default)]
    pub index_s: f64,
    /// opis: the people authority's rebuild at the end of `opis ingest`; FTS5: the final
    /// `optimize`; bare: the commit and merges.
    pub finish_s: f64,
    /// CPU time of the child, user + system, all threads (robust against a busy machine).
    #[serde(default)]
    pub cpu_s: f64,
    /// FTS5, bare: time the reader thread spent turning JSON lines into documents (overlaps the
    /// writes); opis: not measured (0: it parses on every core).
    pub parse_s: f64,
    /// Peak resident set of the child (`VmHWM`), bytes: heap plus mapped index files.
    pub peak_rss: u64,
    /// Peak anonymous resident memory (`RssAnon` sampled every 50 ms), bytes: the heap alone.
    #[serde(default)]
    pub peak_anon: u64,
    /// Bytes on disk of the side's folder (measured by the parent).
    #[serde(default)]
    pub disk_bytes: u64,
    /// opis: documents `Index::sync` indexed; FTS5: turn rows; bare: index entries.
    #[serde(default)]
    pub entries: usize,
}

impl SideReport {
    pub fn docs_per_s(&self) -> f64 {
        self.documents as f64 / self.wall_s.max(1e-9)
    }

    pub fn mb_per_s(&self) -> f64 {
        self.input_bytes as f64 / 1e6 / self.wall_s.max(1e-9)
    }
}

/// The three sides of one ingest run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IngestReport {
    pub opis: SideReport,
    pub fts5: SideReport,
    pub bare: SideReport,
}

/// Runs every side in a child process, one after the other, into fresh folders under `data`.
pub fn run_all(input: &Path, data: &Path) -> Result<IngestReport> {
    run_all_then(input, data, |_| Ok(()))
}

/// [`run_all`], calling `after` with each side once it is ingested and measured (to query it
/// and drop its folder when the disk cannot hold the three at once).
pub fn run_all_then(input: &Path, data: &Path, mut after: impl FnMut(Side) -> Result<()>) -> Result<IngestReport> {
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    let mut reports = Vec::new();
    for side in [Side::Opis, Side::Fts5, Side::Bare] {
        eprintln!("ingest: {} …", side.name());
        let mut report = run_child(input, data, side)?;
        report.disk_bytes = dir_bytes(&data.join(side.dir()))?;
        eprintln!(
            "ingest: {}: {} documents in {:.1} s ({:.0} docs/s, {:.1} MB/s), peak RSS {:.0} MiB, {:.1} MB on disk",
            side.name(),
            report.documents,
            report.wall_s,
            report.docs_per_s(),
            report.mb_per_s(),
            report.peak_rss as f64 / (1 << 20) as f64,
            report.disk_bytes as f64 / 1e6
        );
        reports.push(report);
        after(side)?;
    }
    let bare = reports.pop().expect("three sides");
    let fts5 = reports.pop().expect("three sides");
    let opis = reports.pop().expect("three sides");
    let report = IngestReport { opis, fts5, bare };
    std::fs::write(data.join("ingest-report.json"), serde_json::to_vec_pretty(&report)?)?;
    Ok(report)
}

fn run_child(input: &Path, data: &Path, side: Side) -> Result<SideReport> {
    let exe = std::env::current_exe().context("finding this program to run a side")?;
    let output = Command::new(exe)
        .arg("ingest")
        .arg("--input")
        .arg(input)
        .arg("--data")
        .arg(data)
        .arg("--side")
        .arg(side.name())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running the {} side", side.name()))?;
    if !output.status.success() {
        bail!("the {} side failed ({})", side.name(), output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).context("the side printed no report")?;
    serde_json::from_str(line).with_context(|| format!("reading the {} side's report", side.name()))
}

/// The child: ingests `input` into `data/<side>` (removed first) and prints its report as JSON.
pub fn run_side(input: &Path, data: &Path, side: Side) -> Result<()> {
    let dir = data.join(side.dir());
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let done = AtomicBool::new(false);
    let peak_anon = AtomicU64::new(0);
    let mut report = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                peak_anon.fetch_max(status_kb("RssAnon:").unwrap_or(0) * 1024, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let started = Instant::now();
        let report = match side {
            Side::Opis => ingest_opis(input, &dir),
            Side::Fts5 => fts::ingest(input, &dir),
            Side::Bare => bare::ingest(input, &dir),
        };
        done.store(true, Ordering::Relaxed);
        report.map(|mut r| {
            r.wall_s = started.elapsed().as_secs_f64();
            r
        })
    })?;
    // The opis side measured `opis ingest`, its own child; the others are this process.
    if side != Side::Opis {
        report.peak_rss = status_kb("VmHWM:").unwrap_or(0) * 1024;
        report.cpu_s = cpu_seconds().unwrap_or(0.0);
        report.peak_anon = peak_anon.load(Ordering::Relaxed);
    }
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// Reads `input` on a thread of its own and calls `f` with each batch of [`BATCH`] documents.
/// Returns (documents, bytes read, seconds spent parsing).
pub fn read_batches(input: &Path, f: impl FnMut(Vec<Document>) -> Result<()>) -> Result<(usize, u64, f64)> {
    read_batches_with(input, |d| d, f)
}

/// [`read_batches`], with `prepare` applied to each document on the reader thread.
pub fn read_batches_with<T: Send>(
    input: &Path,
    prepare: impl Fn(Document) -> T + Send,
    mut f: impl FnMut(Vec<T>) -> Result<()>,
) -> Result<(usize, u64, f64)> {
    let file = File::open(input).with_context(|| format!("opening {}", input.display()))?;
    let (tx, rx) = mpsc::sync_channel::<Result<Vec<T>>>(4);
    std::thread::scope(|scope| -> Result<(usize, u64, f64)> {
        let reader = scope.spawn(move || -> (u64, f64) {
            let mut reader = BufReader::with_capacity(1 << 20, file);
            let mut line = String::new();
            let mut batch = Vec::with_capacity(BATCH);
            let (mut bytes, mut parse_s) = (0u64, 0.0);
            let mut number = 0usize;
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(n) => bytes += n as u64,
                    Err(e) => {
                        let _ = tx.send(Err(e.into()));
                        return (bytes, parse_s);
                    }
                }
                number += 1;
                if line.trim().is_empty() {
                    continue;
                }
                let t = Instant::now();
                let doc = serde_json::from_str::<Document>(&line).map(&prepare);
                parse_s += t.elapsed().as_secs_f64();
                match doc {
                    Ok(doc) => batch.push(doc),
                    Err(e) => {
                        let _ = tx.send(Err(anyhow::anyhow!("{}:{number}: {e}", input.display())));
                        return (bytes, parse_s);
                    }
                }
                if batch.len() >= BATCH && tx.send(Ok(std::mem::take(&mut batch))).is_err() {
                    return (bytes, parse_s);
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(Ok(batch));
            }
            (bytes, parse_s)
        });
        let mut documents = 0;
        for batch in rx {
            let batch = batch?;
            documents += batch.len();
            f(batch)?;
        }
        let (bytes, parse_s) = reader.join().map_err(|_| anyhow::anyhow!("the reader thread panicked"))?;
        Ok((documents, bytes, parse_s))
    })
}

/// The opis side is `opis ingest` itself, the command users run: the `opis` binary beside this
/// program (or `OPIS_BIN`), run under `/usr/bin/time` for its CPU time and peak RSS, its heap
/// sampled from `/proc`. So the figures include everything the command does — parsing on every
/// core, the store's versions and facts, the index, each document's people summary and the
/// people authority's rebuild at the end (whose seconds `opis ingest` prints; they are
/// `finish_s` here).
fn ingest_opis(input: &Path, dir: &Path) -> Result<SideReport> {
    let opis = match std::env::var_os("OPIS_BIN") {
        Some(p) => PathBuf::from(p),
        None => std::env::current_exe()?.with_file_name("opis"),
    };
    anyhow::ensure!(
        opis.is_file(),
        "{} is missing: build it beside opis-bench (cargo build --release -p opis -p opis-bench) or set OPIS_BIN",
        opis.display()
    );
    let logs = dir.parent().context("the opis folder has a parent")?;
    let (time_file, stderr_file) = (logs.join("opis-ingest.time"), logs.join("opis-ingest.stderr"));
    let mut child = Command::new(crate::pg::TIME)
        .arg("-f")
        .arg(crate::pg::TIME_FORMAT)
        .arg("-o")
        .arg(&time_file)
        .arg(&opis)
        .arg("--data")
        .arg(dir)
        .arg("ingest")
        .arg(input)
        .env_remove("OPIS_STORE")
        .env_remove("OPIS_DATA")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&stderr_file)?)
        .spawn()
        .with_context(|| format!("running {} ingest (under /usr/bin/time)", opis.display()))?;
    let mut peak_anon = 0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        for pid in crate::pg::children_of(child.id()) {
            peak_anon = peak_anon.max(proc_status_kb(&format!("/proc/{pid}/status"), "RssAnon:").unwrap_or(0) * 1024);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::fs::read_to_string(&stderr_file).unwrap_or_default();
    if !status.success() {
        bail!("opis ingest failed ({status}):\n{}", crate::pg::last_lines(&stderr, 12));
    }
    let (user_s, sys_s, rss_kb) = crate::pg::time_figures(&time_file)?;
    // "ingested 1 files (…): 20000 new, 0 changed, 0 unchanged, …"
    let summary = stderr.lines().find(|l| l.starts_with("ingested ")).context("opis ingest printed no summary")?;
    let count = |what: &str| -> usize {
        summary.split([',', ':']).find_map(|part| part.trim().strip_suffix(what)?.trim().parse().ok()).unwrap_or(0)
    };
    Ok(SideReport {
        documents: count(" new") + count(" changed") + count(" unchanged"),
        input_bytes: std::fs::metadata(input)?.len(),
        finish_s: crate::pg::people_seconds(&stderr).unwrap_or(0.0),
        cpu_s: user_s + sys_s,
        peak_rss: rss_kb as u64 * 1024,
        peak_anon,
        ..Default::default()
    })
}

/// User + system CPU seconds of this process so far (`/proc/self/stat` fields 14 and 15, in
/// Linux's fixed USER_HZ of 100 ticks per second).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces; fields after it are space separated.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// A `kB` line of `/proc/self/status` (`VmHWM:`, `RssAnon:`).
fn status_kb(key: &str) -> Option<u64> {
    proc_status_kb("/proc/self/status", key)
}

/// A `kB` line of a process's `status` file.
fn proc_status_kb(path: &str, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Bytes of every file under `dir`.
pub fn dir_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    let mut stack: Vec<PathBuf> = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let e = e?;
            let meta = e.metadata()?;
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                total += meta.len();
            }
        }
    }
    Ok(total)
}
