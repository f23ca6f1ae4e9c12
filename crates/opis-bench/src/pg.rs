//! `postgres`: opis on a PostgreSQL store next to opis on its embedded store, same machine, same
//! run, through the release `opis` binary (what an operator runs), each command a child process
//! of its own under `/usr/bin/time` (exact peak RSS and CPU time).
//!
//! 1. Embedded: `opis --data EMB ingest JSONL`; `opis check`; the query set on EMB's index;
//!    `opis reindex` (timed); then the SQLite file is removed (the index stays).
//! 2. PostgreSQL: `opis --data PGDIR --store URL ingest JSONL` (stopped after `--pg-timeout-secs`,
//!    then the partial rate is reported); `pg_database_size` and the WAL it wrote; `opis check`;
//!    the query set on PGDIR's index (built by the ingest, as EMB's was); PGDIR is removed.
//! 3. A new node: `opis --data NODE --store URL serve` on an empty folder. It syncs its index
//!    from the store's change log before it listens, so the time until it first answers HTTP is
//!    the time a new node takes to catch up. Stopped (SIGTERM), then `opis check` (must say ok)
//!    and the query set on NODE's index (built by that sync).
//! 4. `opis --data NODE --store URL reindex` (timed: the rebuild from PostgreSQL, beside EMB's),
//!    then the query set once more on EMB and NODE interleaved: two indexes built the same way
//!    (`Index::rebuild`), one from each store.
//!
//! While a command runs, its threads' CPU time is sampled from `/proc/PID/task` (the writer is
//! the main thread, `opis-postgres` the store's connection thread), and so is every process of
//! the PostgreSQL server (the postmaster's children: the backend serving opis, the WAL writer,
//! the checkpointer, …): which side is busy says where the time goes. A timeline (one line every
//! 250 ms) is written next to the logs. The server's total CPU time is exact (the postmaster's
//! own and its reaped children's times, plus its live children's).
//!
//! The database at `--store` must be empty (`scripts/pg-cluster createdb`); `scripts/bench-postgres`
//! makes a throwaway cluster and database and runs this.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::ingest::dir_bytes;
use crate::query::{Timing, label, percentile, query_set, time_folders};

pub struct Settings {
    pub input: PathBuf,
    /// Working folder: the data folders and the logs go here.
    pub work: PathBuf,
    /// The PostgreSQL database (empty).
    pub store: String,
    /// The `opis` binary.
    pub opis: PathBuf,
    pub runs: usize,
    pub budget_secs: f64,
    /// The PostgreSQL ingest is stopped after this long (the rate so far is reported).
    pub pg_timeout: Duration,
    /// Keep the data folders (else removed as soon as they are measured).
    pub keep: bool,
}

/// One `opis` command, measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Measured {
    pub command: String,
    pub wall_s: f64,
    pub user_s: f64,
    pub sys_s: f64,
    /// Peak resident set of the opis process (`/usr/bin/time`'s maximum RSS), bytes.
    pub max_rss: u64,
    /// Stopped after the time allowed.
    pub timed_out: bool,
    /// `serve`: seconds from the start until it first answered HTTP 200.
    pub ready_s: Option<f64>,
    /// CPU seconds of the opis process by thread (main = the writer; grouped by thread name).
    pub threads: Vec<(String, f64)>,
    /// The PostgreSQL server meanwhile, when the command ran against it.
    pub server: Option<ServerCpu>,
    /// The last lines of the command's stderr.
    pub stderr_tail: String,
}

impl Measured {
    pub fn cpu_s(&self) -> f64 {
        self.user_s + self.sys_s
    }
}

/// The PostgreSQL server's CPU time while a command ran.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerCpu {
    /// Every server process, exact.
    pub total_s: f64,
    /// By process role (sampled; short-lived processes may be missed).
    pub by_role: Vec<(String, f64)>,
    /// Share of samples in which a backend serving a client was running (state R).
    pub backend_running: f64,
    /// Share of samples in which the opis writer (main thread) was running.
    pub writer_running: f64,
    /// Share of samples in which the opis connection thread (`opis-postgres`) was running.
    pub client_thread_running: f64,
}

/// One side's ingest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSide {
    pub run: Measured,
    pub documents: u64,
    pub input_bytes: u64,
    /// Input bytes of the documents stored (all of the input unless stopped).
    pub bytes_stored: u64,
    /// Embedded: the SQLite file (with its -wal); PostgreSQL: `pg_database_size`.
    pub store_bytes: u64,
    pub index_bytes: u64,
    pub index_segments: usize,
    /// PostgreSQL: WAL written during the ingest (`pg_wal_lsn_diff`).
    pub wal_bytes: Option<u64>,
    /// Seconds of the people rebuild at the end (as `opis ingest` reports it).
    pub people_s: Option<f64>,
    pub check: String,
}

impl IngestSide {
    pub fn docs_per_s(&self) -> f64 {
        self.documents as f64 / self.run.wall_s.max(1e-9)
    }

    pub fn mb_per_s(&self) -> f64 {
        self.bytes_stored as f64 / 1e6 / self.run.wall_s.max(1e-9)
    }
}

/// A query pass over one index.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueryPass {
    pub what: String,
    pub segments: usize,
    pub index_bytes: u64,
    pub timings: Vec<Timing>,
}

impl QueryPass {
    pub fn p(&self, p: f64) -> f64 {
        percentile(&self.timings.iter().collect::<Vec<_>>(), p)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub input: String,
    pub server: String,
    pub server_settings: Vec<(String, String)>,
    pub embedded: IngestSide,
    pub postgres: IngestSide,
    /// PostgreSQL tables by size (with indexes and TOAST), bytes, and rows.
    pub pg_tables: Vec<(String, u64, u64)>,
    pub reindex_embedded: Measured,
    pub catch_up: Measured,
    pub node_index_bytes: u64,
    pub node_check: String,
    pub reindex_node: Measured,
    /// Query passes: embedded after ingest, PostgreSQL ingest folder, node after catch-up, then
    /// embedded and node after their reindex (interleaved).
    pub queries: Vec<QueryPass>,
}

pub fn run(s: &Settings) -> Result<Report> {
    anyhow::ensure!(s.opis.exists(), "{} is missing: cargo build --release -p opis", s.opis.display());
    anyhow::ensure!(Path::new(TIME).exists(), "{TIME} is missing (apt-get install time)");
    let documents_there: i64 =
        psql(&s.store, "SELECT count(*) FROM documents").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    anyhow::ensure!(
        documents_there == 0,
        "{} already holds {documents_there} documents: give an empty database",
        s.store
    );
    std::fs::create_dir_all(&s.work).with_context(|| format!("creating {}", s.work.display()))?;
    let (emb, pgdir, node) = (s.work.join("embedded"), s.work.join("pg-ingest"), s.work.join("pg-node"));
    let logs = s.work.join("logs");
    for d in [&emb, &pgdir, &node, &logs] {
        if d.exists() {
            std::fs::remove_dir_all(d).with_context(|| format!("removing {}", d.display()))?;
        }
    }
    std::fs::create_dir_all(&logs)?;
    let input_bytes = std::fs::metadata(&s.input).with_context(|| format!("reading {}", s.input.display()))?.len();
    let postmaster = Postmaster::find(&s.store)?;
    let mut report = Report {
        input: s.input.display().to_string(),
        server: psql(&s.store, "SELECT version()")?.trim().to_owned(),
        server_settings: ["shared_buffers", "synchronous_commit", "fsync", "wal_level", "max_wal_size", "work_mem"]
            .iter()
            .map(|k| Ok((k.to_string(), psql(&s.store, &format!("SHOW {k}"))?.trim().to_owned())))
            .collect::<Result<_>>()?,
        ..Default::default()
    };
    let runner = Runner { opis: &s.opis, logs: &logs, store: &s.store };
    let pass = |what: &str, dir: &Path, timings: Vec<Timing>| -> Result<QueryPass> {
        let p = QueryPass {
            what: what.to_owned(),
            segments: segments(dir),
            index_bytes: dir_bytes(&dir.join("index"))?,
            timings,
        };
        eprintln!("postgres: query {what}: p50 {:.2} ms, p99 {:.2} ms ({} segments)", p.p(0.5), p.p(0.99), p.segments);
        Ok(p)
    };
    let one = |dir: &Path| -> Result<Vec<Timing>> {
        Ok(time_folders(&[dir], s.runs, s.budget_secs)?.pop().expect("one folder"))
    };

    // 1. Embedded.
    eprintln!("postgres: embedded ingest into {}", emb.display());
    let run = runner.run("ingest-embedded", &emb, false, &["ingest".as_ref(), s.input.as_os_str()], None, None)?;
    let store_file = emb.join(opis_store::STORE_FILE);
    let mut e = IngestSide {
        documents: stats_documents(&runner, &emb, false)?,
        input_bytes,
        bytes_stored: input_bytes,
        store_bytes: file_len(&store_file) + file_len(&emb.join("store.sqlite3-wal")),
        index_bytes: dir_bytes(&emb.join("index"))?,
        index_segments: segments(&emb),
        people_s: people_seconds(&run.stderr_tail),
        check: runner.check(&emb, false)?,
        run,
        ..Default::default()
    };
    e.run.server = None;
    say_ingest("embedded", &e);
    report.embedded = e;
    report.queries.push(pass("embedded, index built by the ingest", &emb, one(&emb)?)?);
    eprintln!("postgres: opis reindex (embedded)");
    report.reindex_embedded = runner.run("reindex-embedded", &emb, false, &["reindex".as_ref()], None, None)?;
    if !s.keep {
        for f in ["store.sqlite3", "store.sqlite3-wal", "store.sqlite3-shm"] {
            let _ = std::fs::remove_file(emb.join(f));
        }
    }

    // 2. PostgreSQL ingest.
    eprintln!("postgres: PostgreSQL ingest ({}), index into {}", s.store, pgdir.display());
    let lsn_before = psql(&s.store, "SELECT pg_current_wal_lsn()")?.trim().to_owned();
    let run = runner.run(
        "ingest-postgres",
        &pgdir,
        true,
        &["ingest".as_ref(), s.input.as_os_str()],
        Some(s.pg_timeout),
        Some(&postmaster),
    )?;
    let wal = psql(&s.store, &format!("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '{lsn_before}')::bigint"))?;
    let documents: u64 = psql(&s.store, "SELECT count(*) FROM documents")?.trim().parse()?;
    let total_documents = report.embedded.documents.max(1);
    let mut p = IngestSide {
        documents,
        input_bytes,
        // Stopped early: the share of the input stored, pro rata.
        bytes_stored: if run.timed_out { input_bytes * documents / total_documents } else { input_bytes },
        store_bytes: psql(&s.store, "SELECT pg_database_size(current_database())")?.trim().parse()?,
        index_bytes: dir_bytes(&pgdir.join("index"))?,
        index_segments: segments(&pgdir),
        wal_bytes: wal.trim().parse().ok(),
        people_s: people_seconds(&run.stderr_tail),
        check: if run.timed_out { "(stopped)".into() } else { runner.check(&pgdir, true)? },
        run,
    };
    if p.run.timed_out {
        // Wall time is the time allowed plus the stop; the rate is over what was stored.
        p.run.wall_s = p.run.wall_s.min(s.pg_timeout.as_secs_f64());
    }
    say_ingest("postgres", &p);
    report.postgres = p;
    report.pg_tables = psql(
        &s.store,
        "SELECT c.relname, pg_total_relation_size(c.oid), coalesce(s.n_live_tup, 0) FROM pg_class c
         LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
         WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace ORDER BY 2 DESC",
    )?
    .lines()
    .filter_map(|l| {
        let mut f = l.split('|');
        Some((f.next()?.to_owned(), f.next()?.parse().ok()?, f.next()?.parse().ok()?))
    })
    .collect();
    if !report.postgres.run.timed_out {
        report.queries.push(pass("PostgreSQL ingest folder, index built by the ingest", &pgdir, one(&pgdir)?)?);
    }
    if !s.keep {
        std::fs::remove_dir_all(&pgdir).with_context(|| format!("removing {}", pgdir.display()))?;
    }

    // 3. A new node catches up.
    eprintln!("postgres: a new node: opis serve on the empty {}", node.display());
    let addr = free_addr()?;
    let addr_arg = addr.to_string();
    report.catch_up = runner.run(
        "serve-new-node",
        &node,
        true,
        &["serve".as_ref(), "--addr".as_ref(), addr_arg.as_ref(), "--follow-ms".as_ref(), "500".as_ref()],
        Some(s.pg_timeout),
        Some(&postmaster),
    )?;
    let ready = report.catch_up.ready_s.context("the new node never answered HTTP")?;
    eprintln!("postgres: the new node answered after {ready:.1} s");
    report.node_index_bytes = dir_bytes(&node.join("index"))?;
    report.node_check = runner.check(&node, true)?;
    anyhow::ensure!(report.node_check.starts_with("ok"), "opis check on the new node: {}", report.node_check);
    report.queries.push(pass("new node, index built by catch-up (sync)", &node, one(&node)?)?);

    // 4. Rebuild from PostgreSQL, then both rebuilt indexes side by side.
    eprintln!("postgres: opis reindex (node, from PostgreSQL)");
    report.reindex_node = runner.run("reindex-node", &node, true, &["reindex".as_ref()], None, Some(&postmaster))?;
    let both = time_folders(&[&emb, &node], s.runs, s.budget_secs)?;
    let mut both = both.into_iter();
    report.queries.push(pass("embedded after reindex (interleaved)", &emb, both.next().expect("two"))?);
    report.queries.push(pass("node after reindex (interleaved)", &node, both.next().expect("two"))?);
    if !s.keep {
        for d in [&emb, &node] {
            std::fs::remove_dir_all(d).with_context(|| format!("removing {}", d.display()))?;
        }
    }
    std::fs::write(s.work.join("postgres-report.json"), serde_json::to_vec_pretty(&report)?)?;
    Ok(report)
}

fn say_ingest(name: &str, r: &IngestSide) {
    eprintln!(
        "postgres: {name}: {} documents in {:.1} s ({:.0} docs/s, {:.1} MB/s){}, peak RSS {:.0} MiB, store {:.1} MB, index {:.1} MB",
        r.documents,
        r.run.wall_s,
        r.docs_per_s(),
        r.mb_per_s(),
        if r.run.timed_out { " — stopped" } else { "" },
        r.run.max_rss as f64 / (1 << 20) as f64,
        r.store_bytes as f64 / 1e6,
        r.index_bytes as f64 / 1e6
    );
}

/// GNU time, writing `%e %U %S %M` (wall, user and system seconds, peak RSS in KiB) to a file.
pub(crate) const TIME: &str = "/usr/bin/time";
pub(crate) const TIME_FORMAT: &str = "%e %U %S %M";

/// User seconds, system seconds and peak RSS (KiB) from the file [`TIME`] wrote.
pub(crate) fn time_figures(file: &Path) -> Result<(f64, f64, f64)> {
    let times = std::fs::read_to_string(file).unwrap_or_default();
    let fields: Vec<f64> =
        times.lines().last().unwrap_or("").split_whitespace().filter_map(|v| v.parse().ok()).collect();
    let &[_, user_s, sys_s, rss_kb] = fields.as_slice() else {
        bail!("{TIME} wrote {times:?} in {}", file.display());
    };
    Ok((user_s, sys_s, rss_kb))
}

/// The last `n` lines of a command's output.
pub(crate) fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Runs `opis` commands under `/usr/bin/time`, sampling them.
struct Runner<'a> {
    opis: &'a Path,
    logs: &'a Path,
    store: &'a str,
}

impl Runner<'_> {
    fn base(&self, data: &Path, pg: bool) -> Command {
        let mut c = Command::new(self.opis);
        for v in ["OPIS_STORE", "OPIS_DATA", "OPIS_STORE_SERVER", "OPIS_STORE_REPLICA", "OPIS_FOLLOW_MS"] {
            c.env_remove(v);
        }
        c.arg("--data").arg(data);
        if pg {
            c.arg("--store").arg(self.store);
        }
        c
    }

    /// `opis check`: its first line of output (`ok: …`) or what it found.
    fn check(&self, data: &Path, pg: bool) -> Result<String> {
        let out = self.base(data, pg).arg("check").stdin(Stdio::null()).output()?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let text = if out.status.success() {
            text.lines().next().unwrap_or("").to_owned()
        } else {
            format!("FAILED: {} {}", text, String::from_utf8_lossy(&out.stderr).trim())
        };
        eprintln!("postgres: opis check {}: {text}", data.display());
        Ok(text)
    }

    /// Runs `opis --data DATA [--store URL] ARGS` under `/usr/bin/time`, sampling its threads
    /// (and the server's processes when `server` is given). Stopped with SIGTERM after
    /// `timeout`; a `serve` is stopped as soon as it answers HTTP.
    fn run(
        &self,
        name: &str,
        data: &Path,
        pg: bool,
        args: &[&std::ffi::OsStr],
        timeout: Option<Duration>,
        server: Option<&Postmaster>,
    ) -> Result<Measured> {
        let time_file = self.logs.join(format!("{name}.time"));
        let stderr_file = self.logs.join(format!("{name}.stderr"));
        let base = self.base(data, pg);
        let mut cmd = Command::new(TIME);
        cmd.arg("-f").arg(TIME_FORMAT).arg("-o").arg(&time_file).arg(base.get_program()).args(base.get_args());
        for (k, v) in base.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.args(args);
        let serve_addr: Option<SocketAddr> = args
            .iter()
            .position(|a| *a == "--addr")
            .and_then(|i| args.get(i + 1))
            .and_then(|a| a.to_str()?.parse().ok());
        let command = format!(
            "opis --data {}{} {}",
            data.display(),
            if pg { " --store URL" } else { "" },
            args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
        );
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(self.logs.join(format!("{name}.stdout")))?)
            .stderr(std::fs::File::create(&stderr_file)?)
            .spawn()
            .with_context(|| format!("running {command}"))?;
        let started = Instant::now();
        let server_before = server.map(Postmaster::total_ticks);
        let mut timeline = std::io::BufWriter::new(std::fs::File::create(self.logs.join(format!("{name}.timeline")))?);
        writeln!(timeline, "# s\topis_cpu%\twriter%\tpg_client_thread%\tserver_cpu%\tbackend_state\twriter_state")?;
        let mut sampler = Sampler::default();
        let (mut timed_out, mut ready_s, mut stopping) = (false, None, false);
        let mut opis_pid: Option<u32> = None;
        let mut tick = 0u64;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if opis_pid.is_none() {
                opis_pid = children_of(child.id()).into_iter().next();
            }
            if tick.is_multiple_of(5)
                && let Some(pid) = opis_pid
            {
                sampler.sample(pid, server, started.elapsed().as_secs_f64(), &mut timeline)?;
            }
            tick += 1;
            if let (Some(addr), None) = (serve_addr, ready_s)
                && http_ok(addr)
            {
                ready_s = Some(started.elapsed().as_secs_f64());
            }
            let over = timeout.is_some_and(|t| started.elapsed() > t);
            if over && !timed_out && ready_s.is_none() {
                timed_out = true;
                eprintln!("postgres: {name}: stopping it after {:.0} s", started.elapsed().as_secs_f64());
            }
            if (timed_out || ready_s.is_some()) && !stopping {
                if let Some(pid) = opis_pid {
                    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
                }
                stopping = true;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let wall_s = started.elapsed().as_secs_f64();
        timeline.flush()?;
        let stderr = std::fs::read_to_string(&stderr_file).unwrap_or_default();
        if !status.success() && !stopping {
            bail!("{command} failed ({status}):\n{}", last_lines(&stderr, 12));
        }
        let (user_s, sys_s, rss_kb) = time_figures(&time_file).with_context(|| format!("timing {command}"))?;
        let server = server.zip(server_before).map(|(pm, before)| {
            let after = pm.total_ticks();
            ServerCpu { total_s: after.saturating_sub(before) as f64 / 100.0, ..sampler.server_summary() }
        });
        let m = Measured {
            command,
            wall_s: ready_s.unwrap_or(wall_s),
            user_s,
            sys_s,
            max_rss: rss_kb as u64 * 1024,
            timed_out,
            ready_s,
            threads: sampler.thread_summary(),
            server,
            stderr_tail: last_lines(&stderr, 12),
        };
        eprintln!(
            "postgres: {name}: {:.1} s wall, {:.1} s CPU (opis), peak RSS {:.0} MiB{}",
            m.wall_s,
            m.cpu_s(),
            m.max_rss as f64 / (1 << 20) as f64,
            m.server.as_ref().map_or(String::new(), |s| format!(", server CPU {:.1} s", s.total_s))
        );
        Ok(m)
    }
}

/// What the sampler saw of the opis process and the server.
#[derive(Default)]
struct Sampler {
    /// tid → (thread name, CPU ticks at the last sample).
    threads: BTreeMap<u32, (String, u64)>,
    /// server pid → (role, CPU ticks at the last sample).
    server: BTreeMap<u32, (String, u64)>,
    samples: u64,
    backend_running: u64,
    writer_running: u64,
    client_running: u64,
    last: Option<(f64, u64, u64, u64, u64)>,
}

impl Sampler {
    fn sample(&mut self, pid: u32, pm: Option<&Postmaster>, t: f64, timeline: &mut impl Write) -> Result<()> {
        let (mut opis_ticks, mut writer_ticks, mut client_ticks) = (0, 0, 0);
        let (mut writer_state, mut client_state) = ('-', '-');
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for task in tasks.flatten() {
                let Some(tid) = task.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
                let Some(st) = proc_stat(&format!("/proc/{pid}/task/{tid}/stat")) else { continue };
                let name = if tid == pid { "main (writer)".to_owned() } else { st.comm.clone() };
                opis_ticks += st.ticks;
                if tid == pid {
                    writer_ticks = st.ticks;
                    writer_state = st.state;
                } else if st.comm == "opis-postgres" {
                    client_ticks += st.ticks;
                    client_state = st.state;
                }
                self.threads.insert(tid, (name, st.ticks));
            }
        }
        let mut server_ticks = 0;
        let mut backend_state = '-';
        if let Some(pm) = pm {
            for child in children_of(pm.pid) {
                let Some(st) = proc_stat(&format!("/proc/{child}/stat")) else { continue };
                // A process just forked still shows the postmaster's command line: its role is
                // read again at every sample until it has set its own title.
                let cmdline = std::fs::read(format!("/proc/{child}/cmdline")).unwrap_or_default();
                let role = match self.server.get(&child) {
                    Some((r, _)) if !cmdline.starts_with(b"postgres:") => r.clone(),
                    _ => server_role(&cmdline),
                };
                if role.starts_with("backend") && backend_state != 'R' {
                    backend_state = st.state;
                }
                server_ticks += st.ticks;
                self.server.insert(child, (role, st.ticks));
            }
        }
        self.samples += 1;
        self.backend_running += u64::from(backend_state == 'R');
        self.writer_running += u64::from(writer_state == 'R');
        self.client_running += u64::from(client_state == 'R');
        // Percentages over the last interval (server: its live processes only).
        if let Some((t0, o0, w0, c0, s0)) = self.last {
            let dt = (t - t0).max(1e-3);
            let pct = |a: u64, b: u64| a.saturating_sub(b) as f64 / dt;
            writeln!(
                timeline,
                "{t:.2}\t{:.0}\t{:.0}\t{:.0}\t{:.0}\t{backend_state}\t{writer_state}",
                pct(opis_ticks, o0),
                pct(writer_ticks, w0),
                pct(client_ticks, c0),
                pct(server_ticks, s0)
            )?;
        }
        self.last = Some((t, opis_ticks, writer_ticks, client_ticks, server_ticks));
        Ok(())
    }

    /// CPU seconds by thread name (the main thread on its own), largest first.
    fn thread_summary(&self) -> Vec<(String, f64)> {
        group(self.threads.values())
    }

    fn server_summary(&self) -> ServerCpu {
        let share = |n: u64| n as f64 / self.samples.max(1) as f64;
        ServerCpu {
            total_s: 0.0,
            by_role: group(self.server.values()),
            backend_running: share(self.backend_running),
            writer_running: share(self.writer_running),
            client_thread_running: share(self.client_running),
        }
    }
}

/// Sums ticks by name, in seconds, largest first; thread names that end in a number (tantivy's
/// `thrd-tantivy-index3`) are taken together.
fn group<'a>(items: impl Iterator<Item = &'a (String, u64)>) -> Vec<(String, f64)> {
    let mut by: BTreeMap<String, u64> = BTreeMap::new();
    for (name, ticks) in items {
        let key = name.trim_end_matches(|c: char| c.is_ascii_digit()).to_owned();
        *by.entry(key).or_default() += ticks;
    }
    let mut v: Vec<(String, f64)> = by.into_iter().map(|(k, t)| (k, t as f64 / 100.0)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}

/// A server process's role from its command line (`postgres: checkpointer`, `postgres: opis db
/// 127.0.0.1(5432) INSERT`).
fn server_role(cmdline: &[u8]) -> String {
    let text = String::from_utf8_lossy(cmdline).replace('\0', " ");
    let rest = text.trim().strip_prefix("postgres:").unwrap_or(text.trim()).trim();
    if rest.contains('(') || rest.contains("[local]") {
        "backend (client connection)".into()
    } else if rest.starts_with("autovacuum worker") {
        "autovacuum worker".into()
    } else {
        rest.to_owned()
    }
}

struct ProcStat {
    comm: String,
    state: char,
    ppid: u32,
    /// utime + stime.
    ticks: u64,
    /// cutime + cstime (reaped children).
    child_ticks: u64,
}

/// `/proc/…/stat`: name, state, parent, CPU ticks (USER_HZ, 100 a second).
fn proc_stat(path: &str) -> Option<ProcStat> {
    let stat = std::fs::read_to_string(path).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat[open + 1..close].to_owned();
    let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(ProcStat {
        comm,
        state: f.first()?.chars().next()?,
        ppid: n(1)? as u32,
        ticks: n(11)? + n(12)?,
        child_ticks: n(13)? + n(14)?,
    })
}

/// The processes whose parent is `pid`.
pub(crate) fn children_of(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| proc_stat(&format!("/proc/{p}/stat")).is_some_and(|s| s.ppid == pid))
        .collect()
}

/// The PostgreSQL server's postmaster (found from `data_directory`: the server is local).
struct Postmaster {
    pid: u32,
}

impl Postmaster {
    fn find(url: &str) -> Result<Postmaster> {
        let dir = psql(url, "SHOW data_directory")?;
        let pidfile = Path::new(dir.trim()).join("postmaster.pid");
        let text = std::fs::read_to_string(&pidfile)
            .with_context(|| format!("reading {} (the server must run on this machine)", pidfile.display()))?;
        let pid = text.lines().next().and_then(|l| l.trim().parse().ok()).context("no pid in postmaster.pid")?;
        Ok(Postmaster { pid })
    }

    /// CPU ticks of the whole server so far: the postmaster's own, its reaped children's and
    /// its live children's.
    fn total_ticks(&self) -> u64 {
        let own = proc_stat(&format!("/proc/{}/stat", self.pid)).map_or(0, |s| s.ticks + s.child_ticks);
        own + children_of(self.pid)
            .iter()
            .filter_map(|c| proc_stat(&format!("/proc/{c}/stat")))
            .map(|s| s.ticks)
            .sum::<u64>()
    }
}

/// Runs one SQL statement with `psql` and returns its unaligned output.
pub fn psql(url: &str, sql: &str) -> Result<String> {
    let mut c = Command::new("psql");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("PG") {
            c.env_remove(k);
        }
    }
    let out = c
        .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .stdin(Stdio::null())
        .output()
        .context("running psql (PostgreSQL's client)")?;
    if !out.status.success() {
        bail!("psql: {sql}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn stats_documents(runner: &Runner, data: &Path, pg: bool) -> Result<u64> {
    let out = runner.base(data, pg).args(["stats", "--json"]).stdin(Stdio::null()).output()?;
    anyhow::ensure!(out.status.success(), "opis stats: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    v["documents"].as_u64().context("opis stats --json without documents")
}

/// `people: … (1.23 s…)` in `opis ingest`'s output.
pub(crate) fn people_seconds(stderr: &str) -> Option<f64> {
    let line = stderr.lines().find(|l| l.starts_with("people: ") && l.contains(" s"))?;
    let open = line.rfind('(')?;
    line[open + 1..].split_whitespace().next()?.parse().ok()
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

/// Segments of the index in DATA/index (one `.idx` file each).
fn segments(data: &Path) -> usize {
    std::fs::read_dir(data.join("index"))
        .map(|d| d.flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".idx")).count())
        .unwrap_or(0)
}

fn free_addr() -> Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Whether the reading room at `addr` answers a page with 200.
fn http_ok(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let req = format!("GET /static/favicon.svg HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

fn mib(b: u64) -> String {
    format!("{:.0} MiB", b as f64 / (1 << 20) as f64)
}

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

fn ratio(pg: f64, emb: f64) -> String {
    if emb > 0.0 && pg.is_finite() { format!("{:.2}×", pg / emb) } else { "–".into() }
}

/// The Markdown summary.
pub fn report_md(r: &Report) -> String {
    let (e, p) = (&r.embedded, &r.postgres);
    let mut s = String::new();
    let _ = writeln!(s, "Input: `{}` ({}), {} documents.  ", r.input, mb(e.input_bytes), e.documents);
    let settings: Vec<String> = r.server_settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(s, "Server: {} ({}), on this machine, loopback.\n", r.server, settings.join(", "));
    if p.run.timed_out {
        let _ = writeln!(
            s,
            "**The PostgreSQL ingest was stopped after {:.0} s with {} of {} documents stored; its figures are over \
             what it stored.**\n",
            p.run.wall_s, p.documents, e.documents
        );
    }
    let _ = writeln!(s, "| | embedded (SQLite) | PostgreSQL | PostgreSQL ÷ embedded |");
    let _ = writeln!(s, "|---|---:|---:|---:|");
    let mut row = |name: &str, a: String, b: String, q: String| {
        let _ = writeln!(s, "| {name} | {a} | {b} | {q} |");
    };
    row("ingest: documents", e.documents.to_string(), p.documents.to_string(), String::new());
    row(
        "ingest: wall time, s",
        format!("{:.1}", e.run.wall_s),
        format!("{:.1}", p.run.wall_s),
        ratio(p.run.wall_s, e.run.wall_s),
    );
    row(
        "ingest: documents/s",
        format!("{:.0}", e.docs_per_s()),
        format!("{:.0}", p.docs_per_s()),
        ratio(p.docs_per_s(), e.docs_per_s()),
    );
    row(
        "ingest: MB/s of JSONL",
        format!("{:.1}", e.mb_per_s()),
        format!("{:.1}", p.mb_per_s()),
        ratio(p.mb_per_s(), e.mb_per_s()),
    );
    row(
        "ingest: · people rebuild at the end, s",
        e.people_s.map_or("–".into(), |v| format!("{v:.1}")),
        p.people_s.map_or("–".into(), |v| format!("{v:.1}")),
        String::new(),
    );
    let without = |x: &IngestSide| x.run.wall_s - x.people_s.unwrap_or(0.0);
    row(
        "ingest: · wall time without the people rebuild, s",
        format!("{:.1}", without(e)),
        format!("{:.1}", without(p)),
        ratio(without(p), without(e)),
    );
    row(
        "ingest: opis CPU (user + sys), s",
        format!("{:.1}", e.run.cpu_s()),
        format!("{:.1}", p.run.cpu_s()),
        ratio(p.run.cpu_s(), e.run.cpu_s()),
    );
    let server_cpu = p.run.server.as_ref().map_or(0.0, |v| v.total_s);
    row("ingest: PostgreSQL server CPU, s", "–".into(), format!("{server_cpu:.1}"), String::new());
    row(
        "ingest: opis + server CPU, s",
        format!("{:.1}", e.run.cpu_s()),
        format!("{:.1}", p.run.cpu_s() + server_cpu),
        ratio(p.run.cpu_s() + server_cpu, e.run.cpu_s()),
    );
    row(
        "ingest: peak RSS of opis",
        mib(e.run.max_rss),
        mib(p.run.max_rss),
        ratio(p.run.max_rss as f64, e.run.max_rss as f64),
    );
    row(
        "store on disk (SQLite file / pg_database_size)",
        mb(e.store_bytes),
        mb(p.store_bytes),
        ratio(p.store_bytes as f64, e.store_bytes as f64),
    );
    row("· WAL written by the ingest", "–".into(), p.wal_bytes.map_or("–".into(), mb), String::new());
    row(
        "index on disk (after ingest), segments",
        format!("{}, {}", mb(e.index_bytes), e.index_segments),
        format!("{}, {}", mb(p.index_bytes), p.index_segments),
        ratio(p.index_bytes as f64, e.index_bytes as f64),
    );
    row("opis check after ingest", e.check.clone(), p.check.clone(), String::new());
    let q = |what: &str| r.queries.iter().find(|q| q.what.starts_with(what));
    let pair = |a: Option<&QueryPass>, b: Option<&QueryPass>, pp: f64| match (a, b) {
        (Some(a), Some(b)) => (format!("{:.2}", a.p(pp)), format!("{:.2}", b.p(pp)), ratio(b.p(pp), a.p(pp))),
        (Some(a), None) => (format!("{:.2}", a.p(pp)), "–".into(), "–".into()),
        _ => ("–".into(), "–".into(), "–".into()),
    };
    for (label, a, b) in [
        (
            "query, ingest-built indexes (embedded / PostgreSQL ingest folder)",
            q("embedded, index built"),
            q("PostgreSQL ingest"),
        ),
        ("query, embedded ingest-built / new node (catch-up-built)", q("embedded, index built"), q("new node")),
        ("query, both rebuilt by reindex, interleaved", q("embedded after reindex"), q("node after reindex")),
    ] {
        for (pp, name) in [(0.5, "p50"), (0.99, "p99")] {
            let (x, y, z) = pair(a, b, pp);
            row(&format!("{label}: {name}, ms"), x, y, z);
        }
    }
    let catch = r.catch_up.ready_s.unwrap_or(f64::NAN);
    let reindex = r.reindex_embedded.wall_s;
    row(
        "new node catch-up (`opis serve` on an empty folder until it answers) vs embedded `opis reindex`, s",
        format!("{reindex:.1}"),
        format!("{catch:.1}"),
        ratio(catch, reindex),
    );
    row(
        "`opis reindex` (embedded / node from PostgreSQL), s",
        format!("{reindex:.1}"),
        format!("{:.1}", r.reindex_node.wall_s),
        ratio(r.reindex_node.wall_s, reindex),
    );
    let reindex_index = |m: &Measured| m.wall_s - people_seconds(&m.stderr_tail).unwrap_or(0.0);
    row(
        "· `opis reindex` without its people rebuild (index only), s",
        format!("{:.1}", reindex_index(&r.reindex_embedded)),
        format!("{:.1}", reindex_index(&r.reindex_node)),
        ratio(reindex_index(&r.reindex_node), reindex_index(&r.reindex_embedded)),
    );
    row(
        "new node catch-up vs embedded `opis reindex` without its people rebuild, s",
        format!("{:.1}", reindex_index(&r.reindex_embedded)),
        format!("{catch:.1}"),
        ratio(catch, reindex_index(&r.reindex_embedded)),
    );
    row(
        "· peak RSS (reindex / catch-up)",
        mib(r.reindex_embedded.max_rss),
        mib(r.catch_up.max_rss),
        ratio(r.catch_up.max_rss as f64, r.reindex_embedded.max_rss as f64),
    );
    row(
        "· server CPU during catch-up / node reindex, s",
        "–".into(),
        format!(
            "{:.1} / {:.1}",
            r.catch_up.server.as_ref().map_or(0.0, |v| v.total_s),
            r.reindex_node.server.as_ref().map_or(0.0, |v| v.total_s)
        ),
        String::new(),
    );
    row("new node: opis check", String::new(), r.node_check.clone(), String::new());
    let _ = writeln!(s);
    let goal = p.run.wall_s / e.run.wall_s.max(1e-9);
    let _ = writeln!(
        s,
        "Goal: PostgreSQL ingest within 2× of the embedded store's time: {goal:.2}× — {}.\n",
        if goal <= 2.0 && !p.run.timed_out { "met" } else { "**not met**" }
    );

    // Where the time went.
    let _ = writeln!(s, "Where the CPU went (sampled every 250 ms; seconds):\n");
    for (name, m) in [
        ("embedded ingest", &e.run),
        ("PostgreSQL ingest", &p.run),
        ("new node catch-up", &r.catch_up),
        ("embedded reindex", &r.reindex_embedded),
        ("node reindex", &r.reindex_node),
    ] {
        let threads: Vec<String> = m.threads.iter().take(6).map(|(n, v)| format!("{n} {v:.1}")).collect();
        let _ = write!(s, "- {name}: opis {:.1} s wall; threads: {}", m.wall_s, threads.join(", "));
        if let Some(sv) = &m.server {
            let roles: Vec<String> = sv.by_role.iter().take(5).map(|(n, v)| format!("{n} {v:.1}")).collect();
            let _ = write!(
                s,
                "; server {:.1} ({}); running in samples: backend {:.0}%, opis writer {:.0}%, opis connection thread {:.0}%",
                sv.total_s,
                roles.join(", "),
                sv.backend_running * 100.0,
                sv.writer_running * 100.0,
                sv.client_thread_running * 100.0
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s);
    if !r.pg_tables.is_empty() {
        let _ =
            writeln!(s, "PostgreSQL tables (with indexes and TOAST; rows as the statistics estimate them): {}\n", {
                let v: Vec<String> =
                    r.pg_tables.iter().take(10).map(|(t, b, n)| format!("{t} {} ({n} rows)", mb(*b))).collect();
                v.join(", ")
            });
    }

    // Per query.
    let _ = write!(s, "| query (p50 ms) |");
    for p in &r.queries {
        let _ = write!(s, " {} |", p.what);
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "|---|{}", "---:|".repeat(r.queries.len()));
    for (i, q) in query_set().iter().enumerate() {
        let _ = write!(s, "| `{}` |", label(q));
        for p in &r.queries {
            match p.timings.get(i) {
                Some(t) => {
                    let _ = write!(s, " {:.2} ({} hits) |", t.p50(), t.hits);
                }
                None => {
                    let _ = write!(s, " – |");
                }
            }
        }
        let _ = writeln!(s);
    }
    let _ = write!(s, "| **all: p50 / p99** |");
    for p in &r.queries {
        let _ = write!(s, " {:.2} / {:.2} |", p.p(0.5), p.p(0.99));
    }
    let _ = writeln!(s);
    let _ = write!(s, "| segments, index size |");
    for p in &r.queries {
        let _ = write!(s, " {}, {} |", p.segments, mb(p.index_bytes));
    }
    let _ = writeln!(s);
    // The same totals everywhere, or the indexes differ.
    let differ: Vec<String> = query_set()
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let hits: Vec<u64> = r.queries.iter().filter_map(|p| p.timings.get(*i).map(|t| t.hits)).collect();
            hits.windows(2).any(|w| w[0] != w[1])
        })
        .map(|(_, q)| label(q))
        .collect();
    let _ = writeln!(
        s,
        "\n{}",
        if differ.is_empty() {
            "Every query found the same number of hits in every index.".to_owned()
        } else {
            format!("**Hit counts differ between the indexes for: {}**", differ.join("; "))
        }
    );
    s
}
