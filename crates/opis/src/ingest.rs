//! `opis ingest PATH...`: walk files and folders, parse (and serialize and hash) on all
//! cores, store in batched transactions, and index each batch as it is stored.
//!
//! The index is fed the documents the writer has just stored, with the change-log seqs the
//! store gave them, so nothing is read back; it commits every [`INDEX_COMMIT_DOCUMENTS`]
//! documents and at the end. The store stays the source of truth: if the process dies
//! between a store commit and an index commit, the next `Index::sync` re-applies the log.
//!
//! A large file of one document per line (a JSON Lines export of a whole collection) is read in
//! pieces of whole lines ([`PIECE_BYTES`]), each a job of its own, so that it is parsed on every
//! core and never held in memory whole.
//!
//! Files named on the command line must be readable documents; inside folders,
//! files that are not a format opis reads (authority records, schemas, tables)
//! are skipped and counted. Everything that parsed is kept even when other files
//! fail; the exit code says whether any did. A kill at any point leaves the store
//! at its last committed batch, and running the same command again finishes the
//! job (unchanged documents write nothing).

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use opis_formats::extract::authority::summary_of;
use opis_formats::{FormatError, Reader, parse_file, parse_lines};
use opis_index::Index;
use opis_store::{PreparedDocument, Provenance, PutOutcome, SqlStore, Store};

/// Documents per store transaction (`OPIS_BATCH_DOCUMENTS` overrides it, for the crash tests:
/// small batches give many kill points on a small corpus).
const BATCH_DOCUMENTS: usize = 500;

/// The writer's SQLite page cache, MiB.
pub const WRITER_CACHE_MIB: u32 = 64;
/// Bytes of source per store transaction (large files come in big documents).
const BATCH_BYTES: u64 = 16 * 1024 * 1024;
/// A file of one document per line at least this large is read in pieces of about
/// [`PIECE_BYTES`] (whole lines), each parsed as a job of its own.
const SPLIT_BYTES: u64 = 32 * 1024 * 1024;
/// Bytes of a piece of a large JSON Lines file.
const PIECE_BYTES: u64 = 4 * 1024 * 1024;

/// A size the environment variable `name` overrides when it holds a positive number, else
/// `default` (the tests make small batches, pieces and budgets: `OPIS_BATCH_DOCUMENTS`,
/// `OPIS_SPLIT_BYTES`, `OPIS_PIECE_BYTES`, `OPIS_PEOPLE_NAMES_IN_MEMORY`).
pub(crate) fn env_override<T: std::str::FromStr + PartialOrd + Default>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).filter(|n| *n > T::default()).unwrap_or(default)
}
/// Documents indexed between index commits (a commit flushes segments and starts merges).
const INDEX_COMMIT_DOCUMENTS: usize = 50_000;

pub struct IngestOptions {
    pub paths: Vec<PathBuf>,
    pub collection: Option<String>,
    pub jobs: usize,
}

/// What an ingest did.
#[derive(Debug, Default)]
pub struct IngestSummary {
    pub files: usize,
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// The same document met again in this run (a corpus root and its component files).
    pub duplicates: usize,
    pub skipped: Vec<(PathBuf, String)>,
    pub failed: Vec<String>,
    /// Bytes of the files that held documents (skipped and failed files not counted).
    pub bytes: u64,
    /// Documents indexed as they were stored (the rest is left to `Index::sync`).
    pub indexed: usize,
    /// Authority records (pocom persons, appointments, role titles) stored for the people
    /// authority.
    pub person_records: usize,
}

/// One file to read, or a piece of one, and whether the user named it (then it must be a
/// document).
struct Job {
    path: PathBuf,
    named: bool,
    /// Bytes of the file, or of the piece.
    size: u64,
    piece: Option<Piece>,
}

/// Whole lines of a large file of one document per line.
struct Piece {
    offset: u64,
    /// The line of the file the piece starts with (1-based).
    first_line: u32,
    reader: Reader,
    /// The file's last piece (the progress counts the file then).
    last: bool,
}

impl Job {
    /// Whether this job finishes a file (a whole file, or the last piece of one).
    fn ends_file(&self) -> bool {
        self.piece.as_ref().is_none_or(|p| p.last)
    }
}

enum Parsed {
    Documents {
        path: PathBuf,
        size: u64,
        documents: Vec<PreparedDocument>,
    },
    Skipped {
        path: PathBuf,
        size: u64,
        reason: String,
    },
    /// Not a document but authority records (pocom): (key, JSON) each.
    Records {
        size: u64,
        records: Vec<(String, String)>,
    },
    Failed {
        size: u64,
        message: String,
    },
}

/// The writer's side: the store, the index it feeds, and how much is uncommitted there.
struct Writer<'a> {
    store: &'a mut SqlStore,
    index: &'a mut Index,
    uncommitted: usize,
    /// The index could not follow a batch: `Index::sync` finishes the job.
    index_behind: bool,
}

pub fn run(opts: &IngestOptions, store: &mut SqlStore, index: &mut Index) -> Result<IngestSummary> {
    let mut writer = Writer { store, index, uncommitted: 0, index_behind: false };
    let batch_documents = env_override("OPIS_BATCH_DOCUMENTS", BATCH_DOCUMENTS);
    let jobs = collect_jobs(&opts.paths)?;
    let total_bytes: u64 = jobs.iter().map(|j| j.size).sum();
    let files = jobs.iter().filter(|j| j.ends_file()).count();
    let progress = Progress::new(files as u64, total_bytes);
    let mut summary = IngestSummary { files, ..Default::default() };
    // Which file produced each id in this run, with the content hash. The same document
    // read twice (a corpus root and the sitting file it includes) is stored once; a
    // different document under the same id is an error, not a new version.
    // Held for every document of the run (a million in one run of a large export), so each
    // entry is small: the file as an index into `seen_files`, the content hash as its digest.
    let mut seen: HashMap<String, (u32, ContentDigest)> = HashMap::new();
    let mut seen_files: Vec<PathBuf> = Vec::new();
    // Files are parsed in parallel but stored in file order, so that a run is
    // deterministic whatever the thread timing; workers stay within a window of
    // the file being stored, which bounds the memory held by finished files.
    let window = opts.jobs.max(1) * 4;
    let next = AtomicUsize::new(0);
    let stored = AtomicUsize::new(0);
    // Set when the writer gives up (a full disk, a store error): the workers stop waiting for
    // it, or the scope would wait for them for ever.
    let writer_failed = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<(usize, Parsed)>(window);
    let ends_file = |i: usize| usize::from(jobs[i].ends_file());
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..opts.jobs.max(1) {
            let tx = tx.clone();
            let (jobs, next, stored, writer_failed) = (&jobs, &next, &stored, &writer_failed);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    while i >= stored.load(Ordering::Acquire) + window {
                        if writer_failed.load(Ordering::Acquire) {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    if tx.send((i, parse_job(job, opts.collection.as_deref()))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let written = (|| -> Result<()> {
            let mut batch: Vec<(PreparedDocument, Provenance)> = Vec::new();
            let mut batch_bytes = 0u64;
            let mut waiting: std::collections::BTreeMap<usize, Parsed> = Default::default();
            let mut in_order = Vec::new();
            let mut person_records: Vec<(String, String)> = Vec::new();
            for (i, parsed) in rx.iter() {
                waiting.insert(i, parsed);
                loop {
                    let at = stored.load(Ordering::Acquire);
                    let Some(p) = waiting.remove(&at) else { break };
                    stored.fetch_add(1, Ordering::Release);
                    in_order.push((ends_file(at), p));
                }
                for (file_done, parsed) in in_order.drain(..) {
                    match parsed {
                        Parsed::Documents { path, size, documents } => {
                            progress.file_done(file_done, size, documents.len());
                            summary.bytes += size;
                            batch_bytes += size;
                            for doc in documents {
                                let id = &doc.document().id;
                                let digest = ContentDigest::of(doc.hash());
                                if let Some((previous, previous_digest)) = seen.get(id) {
                                    if *previous_digest == digest {
                                        summary.duplicates += 1;
                                    } else {
                                        summary.failed.push(format!(
                                        "{}: document id {} was already read, with other content, from {} in this run; \
                                     this copy was not stored",
                                        path.display(),
                                        id,
                                        seen_files[*previous as usize].display()
                                    ));
                                    }
                                    continue;
                                }
                                if seen_files.last() != Some(&path) {
                                    seen_files.push(path.clone());
                                }
                                seen.insert(id.clone(), (seen_files.len() as u32 - 1, digest));
                                batch.push((doc, Provenance { source_path: path.display().to_string() }));
                                // A file of many documents (a JSON Lines export) is stored in
                                // several transactions, not one the size of the file.
                                if batch.len() >= batch_documents {
                                    writer.write(&mut batch, &mut summary)?;
                                    batch_bytes = 0;
                                }
                            }
                        }
                        Parsed::Records { size, records } => {
                            progress.file_done(file_done, size, 0);
                            summary.person_records += records.len();
                            person_records.extend(records);
                            if person_records.len() >= batch_documents {
                                writer
                                    .store
                                    .put_person_records(&person_records)
                                    .context("storing authority records")?;
                                person_records.clear();
                            }
                        }
                        Parsed::Skipped { path, size, reason } => {
                            progress.file_done(file_done, size, 0);
                            summary.skipped.push((path, reason));
                        }
                        Parsed::Failed { size, message } => {
                            progress.file_done(file_done, size, 0);
                            progress.println(&format!("failed: {message}"));
                            summary.failed.push(message);
                        }
                    }
                    if batch.len() >= batch_documents || batch_bytes >= BATCH_BYTES {
                        writer.write(&mut batch, &mut summary)?;
                        batch_bytes = 0;
                    }
                }
            }
            writer.write(&mut batch, &mut summary)?;
            writer.store.put_person_records(&person_records).context("storing authority records")?;
            Ok(())
        })();
        if written.is_err() {
            writer_failed.store(true, Ordering::Release);
        }
        written
    })?;
    progress.finish();
    writer.commit_index()?;
    Ok(summary)
}

/// A content hash held in 32 bytes instead of 64 characters on the heap: the SHA-256 of the
/// hash's text, so equal hashes give equal digests and different ones different digests.
#[derive(Clone, Copy, PartialEq, Eq)]
struct ContentDigest([u8; 32]);

impl ContentDigest {
    fn of(hash: &str) -> ContentDigest {
        use sha2::{Digest, Sha256};
        ContentDigest(Sha256::digest(hash.as_bytes()).into())
    }
}

impl Writer<'_> {
    /// Commits what was handed to the index (the `index_commit` failpoint follows it).
    fn commit_index(&mut self) -> Result<()> {
        self.index
            .commit_written()
            .map_err(|e| disk_full_or(self.index.path(), e))
            .context("committing the search index")?;
        crate::failpoint::pass("index_commit");
        Ok(())
    }

    /// Stores a batch in one transaction, then hands what it wrote to the index.
    fn write(&mut self, batch: &mut Vec<(PreparedDocument, Provenance)>, summary: &mut IngestSummary) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let receipt = self.store.put_prepared(batch).context("writing a batch to the store")?;
        crate::failpoint::pass("store_batch");
        let mut written = Vec::new();
        for ((doc, _), outcome) in batch.iter().zip(&receipt.outcomes) {
            match outcome {
                PutOutcome::New => {
                    summary.new += 1;
                    written.push((doc.document(), 1));
                }
                PutOutcome::Changed { version } => {
                    summary.changed += 1;
                    written.push((doc.document(), *version));
                }
                PutOutcome::Unchanged => summary.unchanged += 1,
            }
        }
        if receipt.reread {
            // Corrections re-applied or access rules: the index reads these from the store.
            self.index_behind = true;
        }
        if let Some(seqs) = receipt.seqs
            && !self.index_behind
        {
            let applied = self.index.apply_written(&written, seqs).map_err(|e| disk_full_or(self.index.path(), e));
            if applied.context("indexing a batch")? {
                summary.indexed += written.len();
                self.uncommitted += written.len();
                crate::failpoint::pass("index_batch");
                if self.uncommitted >= INDEX_COMMIT_DOCUMENTS {
                    self.commit_index()?;
                    self.uncommitted = 0;
                }
            } else {
                self.index_behind = true;
            }
        }
        batch.clear();
        Ok(())
    }
}

/// tantivy's indexing threads die on a full disk with a message that does not say so ("an
/// index writer was killed"): when a small write beside the index fails for want of space, the
/// error is the store's plain disk-full sentence instead.
fn disk_full_or(index_dir: &Path, e: opis_index::IndexError) -> anyhow::Error {
    let probe = index_dir.join(".opis-space-probe");
    let full =
        std::fs::write(&probe, vec![0u8; 64 * 1024]).is_err_and(|io| io.kind() == std::io::ErrorKind::StorageFull);
    let _ = std::fs::remove_file(&probe);
    if full { opis_store::StoreError::DiskFull.into() } else { e.into() }
}

/// Parses one file (or piece) on a worker thread and prepares its documents for the store.
fn parse_job(job: &Job, collection: Option<&str>) -> Parsed {
    let parsed = match &job.piece {
        None => parse_file(&job.path, None),
        Some(piece) => read_piece(&job.path, piece.offset, job.size)
            .and_then(|bytes| parse_lines(&job.path, &bytes, piece.reader, piece.first_line)),
    };
    match parsed {
        Ok(parsed) => {
            let documents = parsed
                .documents
                .into_iter()
                .map(|mut doc| {
                    if let Some(c) = collection {
                        doc.collection = Some(c.to_owned());
                    }
                    let people = summary_of(&doc);
                    PreparedDocument::new(doc).with_people(people)
                })
                .collect();
            Parsed::Documents { path: job.path.clone(), size: job.size, documents }
        }
        Err(e) => {
            let not_a_document =
                matches!(e, FormatError::Unrecognized { .. } | FormatError::Empty { .. } | FormatError::Binary { .. });
            if not_a_document
                && job.piece.is_none()
                && let Some(records) = authority_records(&job.path)
            {
                return Parsed::Records { size: job.size, records };
            }
            if not_a_document && !job.named && job.piece.is_none() {
                Parsed::Skipped { path: job.path.clone(), size: job.size, reason: e.to_string() }
            } else {
                Parsed::Failed { size: job.size, message: e.to_string() }
            }
        }
    }
}

/// The pocom records of a file that is not a document, as (key, JSON).
fn authority_records(path: &Path) -> Option<Vec<(String, String)>> {
    if path.extension().is_none_or(|e| e != "xml") {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let records = opis_formats::pocom::read_pocom(path, &text)?;
    records.iter().map(|r| serde_json::to_string(r).ok().map(|json| (r.key(), json))).collect()
}

/// The bytes of a piece of a file.
fn read_piece(path: &Path, offset: u64, len: u64) -> Result<Vec<u8>, FormatError> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |source| FormatError::Io { path: path.to_owned(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(len).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// Every file under the given paths, sorted, hidden files and folders left out; a large file
/// of one document per line as its pieces.
fn collect_jobs(paths: &[PathBuf]) -> Result<Vec<Job>> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("{}: cannot read", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut files).with_context(|| format!("{}: cannot list the folder", p.display()))?;
        } else {
            files.push(Job { path: p.clone(), named: true, size: meta.len(), piece: None });
        }
    }
    let mut jobs = Vec::with_capacity(files.len());
    for file in files {
        match line_reader(&file) {
            Some(reader) => {
                let pieces = split_lines(&file.path, env_override("OPIS_PIECE_BYTES", PIECE_BYTES))
                    .with_context(|| format!("{}: cannot read", file.path.display()))?;
                let count = pieces.len();
                for (i, (offset, size, first_line)) in pieces.into_iter().enumerate() {
                    let piece = Piece { offset, first_line, reader, last: i + 1 == count };
                    jobs.push(Job { path: file.path.clone(), named: file.named, size, piece: Some(piece) });
                }
            }
            None => jobs.push(file),
        }
    }
    Ok(jobs)
}

/// The reader of a large file of one document per line, told from its first 64 KiB; `None` for
/// a small file or one a line reader does not read (it is read whole).
fn line_reader(file: &Job) -> Option<Reader> {
    use std::io::Read;
    if file.size < env_override("OPIS_SPLIT_BYTES", SPLIT_BYTES) {
        return None;
    }
    let mut head = Vec::with_capacity(64 * 1024);
    std::fs::File::open(&file.path).ok()?.take(64 * 1024).read_to_end(&mut head).ok()?;
    // The head ends mid-line; detection looks at the first line and whether there is another.
    let head = String::from_utf8_lossy(&head);
    opis_formats::detect_reader(&file.path, &head).ok().filter(|r| r.reads_lines())
}

/// Cuts a file into pieces of whole lines of at least `piece_bytes` (the last may be shorter):
/// (offset, length, first line) each.
fn split_lines(path: &Path, piece_bytes: u64) -> std::io::Result<Vec<(u64, u64, u32)>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut pieces = Vec::new();
    let (mut start, mut start_line) = (0u64, 1u32);
    let (mut pos, mut line) = (0u64, 1u32);
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let mut i = 0;
        while i < n {
            // Up to the piece's size, only newlines are counted …
            let short = (start + piece_bytes).saturating_sub(pos) as usize;
            let skip = short.min(n - i);
            line += buf[i..i + skip].iter().filter(|&&b| b == b'\n').count() as u32;
            (i, pos) = (i + skip, pos + skip as u64);
            if i == n {
                break;
            }
            // … then the piece ends after the next newline.
            match buf[i..n].iter().position(|&b| b == b'\n') {
                Some(k) => {
                    (i, pos, line) = (i + k + 1, pos + k as u64 + 1, line + 1);
                    pieces.push((start, pos - start, start_line));
                    (start, start_line) = (pos, line);
                }
                None => (i, pos) = (n, pos + (n - i) as u64),
            }
        }
    }
    if pos > start {
        pieces.push((start, pos - start, start_line));
    }
    Ok(pieces)
}

fn walk(dir: &Path, jobs: &mut Vec<Job>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = e.path();
        let ft = e.file_type()?;
        if ft.is_dir() {
            walk(&path, jobs)?;
        } else if ft.is_file() {
            jobs.push(Job { size: e.metadata()?.len(), path, named: false, piece: None });
        }
    }
    Ok(())
}

/// A progress bar on a terminal, a log line every few seconds otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    files: AtomicUsize,
    documents: AtomicUsize,
    bytes: std::sync::atomic::AtomicU64,
    total_files: u64,
    last_log: std::sync::Mutex<Instant>,
}

impl Progress {
    fn new(total_files: u64, total_bytes: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total_bytes);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
                )
                .expect("a valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            files: AtomicUsize::new(0),
            documents: AtomicUsize::new(0),
            bytes: Default::default(),
            total_files,
            last_log: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// A job is done: `files` (0 or 1) files and `size` bytes more read.
    fn file_done(&self, files: usize, size: u64, documents: usize) {
        let files = self.files.fetch_add(files, Ordering::Relaxed) + files;
        let docs = self.documents.fetch_add(documents, Ordering::Relaxed) + documents;
        let bytes = self.bytes.fetch_add(size, Ordering::Relaxed) + size;
        match &self.bar {
            Some(bar) => {
                bar.set_position(bytes);
                bar.set_message(format!("{files}/{} files, {docs} documents", self.total_files));
            }
            None => {
                let mut last = self.last_log.lock().expect("not poisoned");
                if last.elapsed() >= Duration::from_secs(5) {
                    *last = Instant::now();
                    eprintln!("{}", self.line(files, docs, bytes));
                }
            }
        }
    }

    fn line(&self, files: usize, docs: usize, bytes: u64) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        format!(
            "ingest: {files}/{} files, {docs} documents, {:.1} MB, {:.1} MB/s",
            self.total_files,
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / secs
        )
    }

    fn println(&self, msg: &str) {
        match &self.bar {
            Some(bar) => bar.println(msg),
            None => eprintln!("{msg}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
