//! The `opis` command line. A thin layer: it parses arguments, calls the library
//! crates (formats, store, index), and prints.

/// `println!` that returns the error instead of panicking: standard output may be a pipe the
/// reader closed (`opis stats | head -2`), which `main` takes as a normal end.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// `print!` likewise (a line's first part), flushed so that it shows before slow work.
macro_rules! out_part {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        write!(stdout, $($arg)*)?;
        stdout.flush()?
    }};
}

mod admin;
mod backup;
mod export;
mod failpoint;
mod ingest;
mod lock;
mod migrate;
mod outline;
mod people;

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use opis_formats::{Reader, parse_file};
use opis_index::{Index, SearchOptions, Sort};
use opis_model::Severity;
use opis_store::{SqlStore, Store};

/// Rust's allocations go to mimalloc rather than glibc's malloc. An ingest allocates and frees
/// millions of small values a second on three threads (parsed documents, index entries, name
/// keys): glibc spent ~12 % of a 30k ingest's CPU in malloc and free, and kept the holes
/// that ended threads' batches left (it needed `mallopt` and a `malloc_trim` before the people
/// rebuild to stay under 1 GiB). mimalloc returns freed pages by itself; a 30k ingest 22.4-23.4
/// -> 18.8-19.9 s, 100k 90 -> 71-80 s with peak RSS about the same (843 vs 860 MiB); at 1M the
/// peak is 934-962 MiB, against 903 before (the note of issue 4).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "opis", version, about = "A self-hosted archive engine for primary-source documents")]
struct Cli {
    /// The data folder: the search index lives here, and the store unless `--store` names a
    /// server.
    #[arg(long, global = true, env = "OPIS_DATA", default_value = "opis-data")]
    data: PathBuf,
    /// The store: a PostgreSQL server (`postgres://user@host:port/database`; the database must
    /// exist, its tables are made on first use). Default: the embedded store in the data folder.
    #[arg(long, global = true, env = "OPIS_STORE")]
    store: Option<String>,
    /// The reading room's public address: citations link documents without a source URL to
    /// `{base-url}/doc/{id}`.
    #[arg(long, global = true, env = "OPIS_BASE_URL", default_value = "http://127.0.0.1:7700")]
    base_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse a file and print the documents it holds; nothing is stored.
    Parse {
        /// The file to read (a Wilson Center record, CSV or JSON Lines export, or API JSON).
        file: PathBuf,
        /// What to print: the model as JSON (JSON Lines for several documents), TEI P5 (one
        /// file per document; several are separated by a blank line), a readable outline, or a
        /// citation (csl-json, bibtex, ris, chicago).
        #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
        format: OutputFormat,
        /// Force a reader instead of detecting one: record, wilson-csv, wilson-jsonl, wilson-api.
        #[arg(long, value_parser = parse_reader)]
        reader: Option<Reader>,
        /// Say which reader was picked.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Read files and folders into the store (new versions for changed documents) and index them.
    Ingest {
        /// Files and folders; folders are walked, files that are not documents are skipped.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Put every document into this collection.
        #[arg(long)]
        collection: Option<String>,
        /// Parser threads (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Show a stored document.
    Show {
        id: String,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// List the document's versions instead.
        #[arg(long)]
        versions: bool,
        /// Show this version instead of the current one.
        #[arg(long)]
        version: Option<u32>,
    },
    /// Counts of documents, turns, notes, persons and collections.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Search the collection: words, "phrases", AND/OR/NOT, -word, speaker:, person:,
    /// archive:, kind:, lang:, collection:, title:, date:1956-11-01..1956-11-05.
    Search {
        query: String,
        /// Print the SearchResults object as JSON.
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Count facets: kind, language, collection, speaker, person, archive, year.
        #[arg(long)]
        facets: bool,
        /// relevance, date (oldest first) or -date (newest first).
        #[arg(long, default_value = "relevance", value_parser = parse_sort)]
        sort: Sort,
    },
    /// List the stored documents: id, current version, content hash, title.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Write the current documents (or those a search query matches) as opis JSON Lines (one
    /// file, read back by `opis ingest`) or TEI P5 (one file per document).
    Export {
        #[arg(long, value_enum)]
        format: export::ExportFormat,
        /// The folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// A search query, as `opis search` takes it; without one, every document.
        query: Option<String>,
        /// Only documents public today (leave out restricted and embargoed ones).
        #[arg(long)]
        public_only: bool,
    },
    /// Rebuild the search index (and the people authority) from the store.
    Reindex,
    /// The people authority: every person (id, preferred name, documents, turns, variants),
    /// the names left ambiguous, or one person with variants, roles, sources and documents.
    /// Editors change it in DATA/people.csv (merge, split, rename, variant, not-person).
    People {
        /// List the names that fit more than one person (nothing was merged for them).
        #[arg(long)]
        ambiguous: bool,
        /// Show one person by id.
        #[arg(long)]
        show: Option<String>,
        #[arg(long)]
        json: bool,
        /// Rebuild the authority from the store and the overrides first (what every ingest
        /// and reindex does), taking the writer lock.
        #[arg(long)]
        rebuild: bool,
    },
    /// Copy the store (SQLite online backup, safe while `opis serve` runs) and the index into
    /// a new folder, with a manifest of every document's content hash.
    Backup {
        /// The backup folder (new or empty).
        dir: PathBuf,
    },
    /// Restore a backup made by `opis backup` into the (new or empty) data folder `--data`, and
    /// check it: store integrity, content hashes against the manifest, index up to date.
    Restore {
        /// The backup folder.
        dir: PathBuf,
    },
    /// Verify that the store and the index agree (same documents, same versions).
    Check,
    /// Move a whole store to the other engine — a data folder's embedded store to PostgreSQL, or
    /// back — and check both sides: every version of every document (same versions, hashes and
    /// timestamps), accounts, tokens, access rules, grants, corrections, the audit log; the
    /// people authority and the destination's index are rebuilt (a PostgreSQL destination's
    /// index goes into `--data`).
    Migrate {
        /// The store to copy: a data folder, or `postgres://…`.
        #[arg(long)]
        from: String,
        /// Where to: `postgres://…` (a database with no documents), or a new data folder.
        #[arg(long)]
        to: String,
    },
    /// Serve the reading room (HTML pages) over the data folder until Ctrl-C.
    Serve {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:7700")]
        addr: std::net::SocketAddr,
        /// Files and folders to ingest first (as `opis ingest`).
        #[arg(long, num_args = 1..)]
        ingest: Vec<PathBuf>,
        /// Read from this streaming replica of the PostgreSQL store (writes still go to
        /// `--store`).
        #[arg(long, env = "OPIS_STORE_REPLICA")]
        replica: Option<String>,
        /// How often (milliseconds) a node on a PostgreSQL store applies the store's change log
        /// to its own index.
        #[arg(long, env = "OPIS_FOLLOW_MS", default_value_t = 500)]
        follow_ms: u64,
    },
    /// Accounts: add (password from OPIS_PASSWORD or stdin), list, remove.
    #[command(subcommand)]
    User(admin::UserCommand),
    /// API tokens (sent as `Authorization: Bearer`): create, list, revoke.
    #[command(subcommand)]
    Token(admin::TokenCommand),
    /// Access rules of documents and collections: set, clear, list.
    #[command(subcommand)]
    Access(admin::AccessCommand),
    /// Grant an account a restricted document or collection (or withdraw it with --revoke).
    Grant {
        user: String,
        /// `document` or `collection`.
        scope: String,
        name: String,
        #[arg(long)]
        revoke: bool,
    },
    /// Correct a document: PATCH is the JSON of a patch, e.g.
    /// '{"op":"set_speakers","turn":3,"anchor":"…","speakers":["Zhukov"]}'.
    Correct {
        id: String,
        patch: String,
        #[arg(long)]
        reason: String,
        /// Who the audit log names.
        #[arg(long, default_value = "cli")]
        author: String,
    },
    /// Corrections (of one document, or all), with their status (`needs_review` when the last
    /// ingest could not apply one).
    Corrections {
        id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The audit log, newest first.
    Audit {
        /// Only this action (sign_in, sign_in_failed, correction, access, grant, ingest, …).
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

fn parse_sort(s: &str) -> Result<Sort, String> {
    match s {
        "relevance" => Ok(Sort::Relevance),
        "date" => Ok(Sort::DateAsc),
        "-date" => Ok(Sort::DateDesc),
        other => Err(format!("unknown sort {other:?}; expected relevance, date or -date")),
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// The document model as JSON.
    Json,
    /// TEI P5.
    Tei,
    /// A readable outline.
    Text,
    /// A CSL-JSON citation (an array of one item).
    CslJson,
    /// A BibTeX/BibLaTeX entry.
    Bibtex,
    /// A RIS record (CRLF line endings).
    Ris,
    /// A Chicago full note, rendered with the CSL Chicago notes style.
    Chicago,
}

/// What differs between the store's and the index's (id, version) lists, both sorted.
fn compare(store: &[(String, u32)], index: &[(String, u32)]) -> Vec<String> {
    let index_map: std::collections::HashMap<&str, u32> = index.iter().map(|(id, v)| (id.as_str(), *v)).collect();
    let store_map: std::collections::HashMap<&str, u32> = store.iter().map(|(id, v)| (id.as_str(), *v)).collect();
    let mut out = Vec::new();
    for (id, v) in store {
        match index_map.get(id.as_str()) {
            None => out.push(format!("{id}: in the store (version {v}), not in the index")),
            Some(iv) if iv != v => out.push(format!("{id}: version {v} in the store, {iv} in the index")),
            _ => {}
        }
    }
    for (id, v) in index {
        if !store_map.contains_key(id.as_str()) {
            out.push(format!("{id}: in the index (version {v}), not in the store"));
        }
    }
    if index.len() != index_map.len() {
        out.push(format!("the index holds {} entries for {} documents: duplicates", index.len(), index_map.len()));
    }
    out
}

fn print_results(results: &opis_index::SearchResults) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    writeln!(out, "{} match(es)", results.total)?;
    for hit in &results.hits {
        let date = hit.date.as_ref().map(|d| d.from.as_str()).unwrap_or("----------");
        let place = match hit.turn {
            Some(t) => format!("{}#turn-{t}  {}", hit.id, hit.speakers.join(", ")),
            None => hit.id.clone(),
        };
        writeln!(out, "\n{date}  {place}\n  {}", hit.title)?;
        let snippet = hit.snippet_plain();
        if !snippet.is_empty() {
            writeln!(out, "  {}", snippet.split_whitespace().collect::<Vec<_>>().join(" "))?;
        }
    }
    for (facet, values) in &results.facets {
        let mut values: Vec<(&String, &u64)> = values.iter().collect();
        values.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let shown: Vec<String> = values.iter().take(10).map(|(v, n)| format!("{v} ({n})")).collect();
        writeln!(out, "\n{facet}: {}", shown.join(", "))?;
    }
    out.flush()?;
    Ok(())
}

fn open_index(data: &std::path::Path) -> Result<Index> {
    Index::open(data).with_context(|| format!("opening the search index in {}", data.display()))
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
    }
}

fn print_document(
    out: &mut impl Write,
    doc: &opis_model::Document,
    format: OutputFormat,
    base_url: &str,
) -> Result<()> {
    let cite = || opis_cite::Citation::new(doc, base_url);
    match format {
        OutputFormat::Json => serde_json::to_writer(&mut *out, doc).context("writing JSON")?,
        OutputFormat::Tei => out.write_all(opis_formats::tei::write_tei(doc).as_bytes())?,
        OutputFormat::Text => outline::write_outline(out, doc)?,
        OutputFormat::CslJson => serde_json::to_writer_pretty(&mut *out, &opis_cite::csl::items([&cite()]))?,
        // Both end with their own line break.
        OutputFormat::Bibtex => return Ok(out.write_all(opis_cite::bibtex::entry(&cite()).as_bytes())?),
        OutputFormat::Ris => return Ok(out.write_all(opis_cite::ris::record(&cite()).as_bytes())?),
        OutputFormat::Chicago => {
            let note = opis_cite::chicago::note(&cite()).context("rendering the Chicago note")?;
            out.write_all(note.as_bytes())?
        }
    }
    writeln!(out)?;
    Ok(())
}

/// `opis check`: the store and the index hold the same documents at the same versions, the
/// index has applied the whole change log, and the store's own integrity check passes.
pub(crate) fn check(store: &SqlStore, index: &Index) -> Result<()> {
    let in_store = store.ids_and_versions()?;
    let in_index = index.ids_and_versions()?;
    let mut problems = compare(&in_store, &in_index);
    problems.extend(store.integrity_check()?.into_iter().map(|p| format!("store integrity: {p}")));
    let (last, applied) = (store.last_change()?, index.applied_seq());
    if applied != last {
        problems.push(format!("the index has applied changes up to {applied}, the store is at {last}"));
    }
    if problems.is_empty() {
        out!("ok: {} documents, store and index agree", in_store.len());
        Ok(())
    } else {
        for p in &problems {
            out!("{p}");
        }
        anyhow::bail!(
            "store and index disagree ({} problem(s)); `opis ingest` or `opis reindex` repairs the index",
            problems.len()
        )
    }
}

/// The `--store` URL, set once from the command line.
static STORE_URL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Where the store is for the data folder `data`: `--store`, else the folder's embedded store.
pub(crate) fn store_at(data: &std::path::Path) -> Result<opis_store::StoreAt> {
    let url = STORE_URL.get().and_then(|u| u.as_deref());
    Ok(opis_store::StoreAt::resolve(data, url)?)
}

/// Opens the store (see [`store_at`]).
pub(crate) fn open_store(data: &std::path::Path) -> Result<SqlStore> {
    let at = store_at(data)?;
    SqlStore::open_at(&at).with_context(|| format!("opening the store {}", at.describe()))
}

fn parse_reader(name: &str) -> Result<Reader, String> {
    Reader::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Reader::ALL.iter().map(|r| r.name()).collect();
        format!("unknown reader {name:?}; expected one of {}", names.join(", "))
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stops early (`opis list | head`) is not an error.
        Err(e) if e.chain().any(|c| c.to_string().contains("Broken pipe")) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// `opis ingest`: store new and changed documents, then bring the index up to date.
fn ingest_command(
    data: &std::path::Path,
    paths: Vec<PathBuf>,
    collection: Option<String>,
    jobs: Option<usize>,
) -> Result<()> {
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let _lock = lock::WriterLock::acquire(data, "ingest")?;
    let mut store = open_store(data)?;
    store.tune_for_bulk_writes(ingest::WRITER_CACHE_MIB)?;
    let mut index = open_index(data)?;
    // The index follows the store's log from where it stands: catch up first (an earlier run
    // may have been killed) so that this run's batches can be indexed as they are stored.
    let caught_up = index.sync(&store).context("updating the search index")?;
    let opts = ingest::IngestOptions { paths, collection, jobs };
    let summary = ingest::run(&opts, &mut store, &mut index)?;
    let detail = format!(
        "{} files: {} new, {} changed, {} unchanged, {} failed",
        summary.files,
        summary.new,
        summary.changed,
        summary.unchanged,
        summary.failed.len()
    );
    let paths: Vec<String> = opts.paths.iter().map(|p| p.display().to_string()).collect();
    store.audit("cli", "ingest", &paths.join(" "), &detail)?;
    eprintln!(
        "ingested {} files ({:.1} MB of documents): {} new, {} changed, {} unchanged, {} read twice, {} skipped, {} failed",
        summary.files,
        summary.bytes as f64 / 1e6,
        summary.new,
        summary.changed,
        summary.unchanged,
        summary.duplicates,
        summary.skipped.len(),
        summary.failed.len()
    );
    for (path, reason) in &summary.skipped {
        tracing::debug!("skipped {}: {reason}", path.display());
    }
    for f in &summary.failed {
        eprintln!("failed: {f}");
    }
    let report = index.sync(&store).context("updating the search index")?;
    eprintln!("indexed {} document(s)", caught_up.documents + summary.indexed + report.documents);
    let wrote = summary.new + summary.changed + summary.person_records > 0;
    if wrote || data.join(people::OVERRIDES_FILE).exists() {
        report_people(people::rebuild(data, &mut store, false)?);
    }
    if !summary.failed.is_empty() {
        anyhow::bail!("{} file(s) failed; everything else was stored", summary.failed.len());
    }
    Ok(())
}

fn report_people(r: Option<people::RebuildSummary>) {
    match r {
        Some(r) => eprintln!(
            "people: {} person(s), {} name(s) in documents linked, {} ambiguous ({:.2} s{})",
            r.persons,
            r.links,
            r.ambiguities,
            r.seconds,
            match r.summarized {
                0 => String::new(),
                n => format!("; {n} document(s) summarized"),
            }
        ),
        None => eprintln!("people: unchanged (same documents, records and overrides)"),
    }
}

fn run(cli: Cli) -> Result<()> {
    // Logs go to stderr: the server's requests at `info`, other commands' details
    // (files skipped by ingest) at `debug`, shown with RUST_LOG=debug.
    let default = if matches!(cli.command, Command::Serve { .. }) { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let data = cli.data;
    let _ = STORE_URL.set(cli.store.clone());
    let base_url = cli.base_url;
    match cli.command {
        Command::Ingest { paths, collection, jobs } => ingest_command(&data, paths, collection, jobs),
        Command::User(c) => admin::user(&data, c),
        Command::Token(c) => admin::token(&data, c),
        Command::Access(c) => admin::access(&data, c),
        Command::Grant { user, scope, name, revoke } => {
            let Some(scope) = opis_store::access::Scope::parse(&scope) else {
                anyhow::bail!("unknown scope {scope:?}; expected document or collection")
            };
            admin::grant(&data, &user, scope, &name, revoke)
        }
        Command::Correct { id, patch, reason, author } => admin::correct(&data, &id, &patch, &reason, &author),
        Command::Corrections { id, json } => admin::corrections(&data, id.as_deref(), json),
        Command::Audit { action, limit, json } => admin::audit(&data, action.as_deref(), limit, json),
        Command::Serve { addr, ingest, replica, follow_ms } => {
            if !ingest.is_empty() {
                // Files that failed are reported; what was stored is served all the same.
                if let Err(e) = ingest_command(&data, ingest, None, None) {
                    eprintln!("warning: {e:#}");
                }
            }
            let store = store_at(&data)?;
            let replica = replica.map(|r| opis_store::StoreAt::resolve(&data, Some(&r))).transpose()?;
            anyhow::ensure!(
                replica.as_ref().is_none_or(|r| r.is_postgres()) && (replica.is_none() || store.is_postgres()),
                "--replica is a PostgreSQL replica of a PostgreSQL --store"
            );
            // Bring the index up to the store (an ingest may have been killed), then let go of
            // its writer: the server only reads, so `opis ingest` can run beside it. A node that
            // reads a replica catches up from the replica, as its follower will: its index must
            // never be ahead of the log it follows.
            // The primary first (it migrates), then the replica once it has replayed that.
            let primary =
                SqlStore::open_at(&store).with_context(|| format!("opening the store {}", store.describe()))?;
            let source = match &replica {
                Some(at @ opis_store::StoreAt::Postgres(url)) => {
                    drop(primary);
                    SqlStore::connect_replica(url, std::time::Duration::from_secs(60))
                        .with_context(|| format!("opening the replica {}", at.describe()))?
                }
                _ => primary,
            };
            let mut index = open_index(&data)?;
            if index.applied_seq() < source.last_change()? {
                index.sync(&source).context("updating the search index")?;
            }
            drop((index, source));
            let follow = store.is_postgres().then(|| std::time::Duration::from_millis(follow_ms.max(10)));
            let site = opis_web::Site { data: data.clone(), store, replica, follow };
            opis_web::serve_site_until_signal(site, addr).with_context(|| format!("serving {}", data.display()))?;
            Ok(())
        }
        Command::Search { query, json, limit, offset, facets, sort } => {
            let store = open_store(&data)?;
            let mut index = open_index(&data)?;
            // A reader may find the index behind the store (an ingest was killed): catch up first.
            if index.applied_seq() < store.last_change()? {
                index.sync(&store).context("updating the search index")?;
            }
            index.set_people(&store.person_names()?);
            let opts = SearchOptions { limit, offset, sort, facets };
            let results = match index.search(&query, &opts) {
                Ok(r) => r,
                Err(e) => {
                    if let Some(pointer) = e.pointer(&query) {
                        eprintln!("{pointer}");
                    }
                    return Err(e.into());
                }
            };
            if json {
                out!("{}", serde_json::to_string_pretty(&results)?);
            } else {
                print_results(&results)?;
            }
            Ok(())
        }
        Command::List { json } => {
            let store = open_store(&data)?;
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            store.for_each_document(&mut |d| {
                let line = if json {
                    serde_json::json!({
                        "id": d.document.id, "version": d.version, "content_hash": d.content_hash,
                        "title": d.document.title, "updated_at": d.updated_at,
                    })
                    .to_string()
                } else {
                    format!("{}\t{}\t{}\t{}", d.document.id, d.version, &d.content_hash[..16], d.document.title)
                };
                writeln!(out, "{line}").map_err(|e| opis_store::StoreError::Io { path: "stdout".into(), source: e })
            })?;
            out.flush()?;
            Ok(())
        }
        Command::Export { format, out, query, public_only } => {
            let store = open_store(&data)?;
            let n = export::run(&data, &store, format, &out, query.as_deref(), public_only)?;
            eprintln!("exported {n} document(s) to {}", out.display());
            Ok(())
        }
        Command::Backup { dir } => backup::backup(&data, &dir),
        Command::Restore { dir } => backup::restore(&dir, &data),
        Command::Reindex => {
            let _lock = lock::WriterLock::acquire(&data, "reindex")?;
            let store = open_store(&data)?;
            let mut index = open_index(&data)?;
            index.rebuild(&store).context("rebuilding the search index")?;
            eprintln!("reindexed {} document(s)", index.ids_and_versions()?.len());
            let mut store = store;
            report_people(people::rebuild(&data, &mut store, true)?);
            Ok(())
        }
        Command::People { ambiguous, show, json, rebuild } => {
            let _lock = rebuild.then(|| lock::WriterLock::acquire(&data, "people --rebuild")).transpose()?;
            let mut store = open_store(&data)?;
            if rebuild {
                report_people(people::rebuild(&data, &mut store, true)?);
                if !ambiguous && show.is_none() && !json {
                    return Ok(());
                }
            }
            people::command(&store, ambiguous, show.as_deref(), json)
        }
        Command::Migrate { from, to } => migrate::run(&data, &from, &to),
        Command::Check => check(&open_store(&data)?, &open_index(&data)?),
        Command::Show { id, format, versions, version } => {
            let store = open_store(&data)?;
            if versions {
                let list = store.versions(&id)?;
                anyhow::ensure!(!list.is_empty(), "no document with id {id:?} in {}", data.display());
                for v in list {
                    out!(
                        "version {}  {}  {}  {}",
                        v.version,
                        v.created_at,
                        &v.content_hash[..12],
                        v.source_path.unwrap_or_default()
                    );
                }
                return Ok(());
            }
            let doc = match version {
                Some(n) => store
                    .version(&id, n)?
                    .with_context(|| format!("no version {n} of document {id:?} in {}", data.display()))?,
                None => {
                    store
                        .document(&id)?
                        .with_context(|| format!("no document with id {id:?} in {}", data.display()))?
                        .document
                }
            };
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            print_document(&mut out, &doc, format, &base_url)?;
            out.flush()?;
            Ok(())
        }
        Command::Stats { json } => {
            let store = open_store(&data)?;
            let stats = store.stats()?;
            if json {
                out!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                out!(
                    "documents  {}\nturns      {}\nnotes      {}\npersons    {}",
                    stats.documents,
                    stats.turns,
                    stats.notes,
                    stats.persons
                );
                for (name, n) in &stats.collections {
                    out!("collection {:>8}  {}", n, if name.is_empty() { "(none)" } else { name });
                }
            }
            Ok(())
        }
        Command::Parse { file, format, reader, verbose } => {
            let parsed = parse_file(&file, reader)?;
            if verbose {
                eprintln!("{}: read with the {} reader", file.display(), parsed.reader);
            }
            for d in &parsed.diagnostics {
                eprintln!(
                    "{}{}: {}[{}]: {}",
                    file.display(),
                    d.line.map(|l| format!(":{l}")).unwrap_or_default(),
                    severity_name(d.severity),
                    d.code,
                    d.message
                );
            }
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            for doc in &parsed.documents {
                for d in &doc.diagnostics {
                    let level = severity_name(d.severity);
                    let at = d.line.map(|l| format!(":{l}")).unwrap_or_default();
                    eprintln!("{}{at}: {level}[{}]: {} ({})", file.display(), d.code, d.message, doc.id);
                }
                print_document(&mut out, doc, format, &base_url)?;
            }
            out.flush()?;
            Ok(())
        }
    }
}
