//! `opis-bench`: opis against SQLite FTS5 and a bare tantivy index, on the same documents and
//! queries, in the same run (issue 4, point 7). Never part of the tests.
//!
//! - `generate` scales the real corpora of `../shared` up to N documents of JSON Lines
//!   ([`generate`]).
//! - `ingest` loads them into opis (`opis ingest` itself), FTS5 and a bare tantivy index,
//!   each in a child process of its own so that peak RSS is per side ([`ingest`], [`fts`],
//!   [`bare`]).
//! - `query` times a fixed query set on the three ([`query`]).
//! - `all` does the three and prints one Markdown summary ([`report`]).
//! - `oai` harvests the opis side over OAI-PMH (HTTP) next to reading it from the store
//!   ([`oai`]).
//! - `postgres` runs `opis` on PostgreSQL next to the embedded store: ingest, disk, query
//!   latency, a new node's catch-up, reindex ([`pg`]; `scripts/bench-postgres` runs it on a
//!   throwaway cluster).
//! - `hostile` writes hostile and broken files and reads each in a child process under a time
//!   bound, reporting outcomes, times and peak RSS ([`hostile`]).

mod bare;
mod fts;
mod generate;
mod hostile;
mod ingest;
mod oai;
mod page;
mod pg;
mod query;
mod report;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use crate::ingest::Side;

/// Bytes of block text a copy's body keeps (whole blocks); ParlaMint sittings run to megabytes.
const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(Parser)]
#[command(name = "opis-bench", about = "Benchmarks opis against SQLite FTS5 and a bare tantivy index")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write N documents as JSON Lines: copies of the real corpora with new ids and shifted dates.
    Generate {
        #[arg(long)]
        docs: usize,
        #[arg(long)]
        out: PathBuf,
        /// The shared folder holding `seed` and `corpora` (default: ../shared).
        #[arg(long)]
        shared: Option<PathBuf>,
        /// Cap on each body's block text, bytes (0: no cap).
        #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
        max_body_bytes: usize,
    },
    /// Ingest JSON Lines into opis, SQLite FTS5 and a bare tantivy index under DIR.
    Ingest {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        data: PathBuf,
        /// Run one side in this process (what the parent runs in its children).
        #[arg(long, value_enum, hide = true)]
        side: Option<Side>,
    },
    /// Time the query set on the three systems in DIR.
    Query {
        #[arg(long)]
        data: PathBuf,
        /// Timed runs of each query on each system (after one warm-up run).
        #[arg(long, default_value_t = 200)]
        runs: usize,
        /// Seconds after which no new run of one query on one system starts (at least 10 runs).
        #[arg(long, default_value_t = 20.0)]
        budget_secs: f64,
    },
    /// What the search page's search costs uncached, over the queries of a file (one a line):
    /// the page's form (20 hits, total, facets), without facets, and facets alone.
    SearchPage {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        queries: PathBuf,
        /// Runs of each query in each form.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// `opis` on PostgreSQL next to the embedded store, same input, same run: ingest (docs/s,
    /// MB/s, peak RSS, CPU of opis and of the server), store size, query latency of each side's
    /// index, a new node's catch-up and reindex; a Markdown table with the ratios.
    Postgres {
        /// opis JSON Lines (`opis-bench generate`).
        #[arg(long)]
        input: PathBuf,
        /// Working folder (data folders and logs; emptied of earlier runs).
        #[arg(long)]
        work: PathBuf,
        /// An empty PostgreSQL database on this machine (`scripts/pg-cluster createdb`).
        #[arg(long)]
        store: String,
        /// The opis binary (default: `opis` beside this program).
        #[arg(long)]
        opis: Option<PathBuf>,
        #[arg(long, default_value_t = 200)]
        runs: usize,
        #[arg(long, default_value_t = 10.0)]
        budget_secs: f64,
        /// Stop the PostgreSQL ingest (and report the rate so far) after this many seconds.
        #[arg(long, default_value_t = 1500)]
        pg_timeout_secs: u64,
        /// Keep the data folders.
        #[arg(long)]
        keep: bool,
    },
    /// A full OAI-PMH harvest of the opis data in DIR over HTTP (records per second), next to
    /// reading the same records from the store. Page size: `OPIS_OAI_PAGE_SIZE` (default 100).
    Oai {
        #[arg(long)]
        data: PathBuf,
    },
    /// Write hostile and broken files into OUT and read each with the readers, each reading in a
    /// child process under a time bound; print a Markdown table; exit 1 on a panic, crash, hang
    /// or memory overrun.
    Hostile {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        shared: Option<PathBuf>,
        /// Size of the big file, MB (0: none).
        #[arg(long, default_value_t = 200)]
        big_mb: usize,
        /// Seconds a reading may take.
        #[arg(long, default_value_t = 60.0)]
        timeout_secs: f64,
        /// Peak RSS allowed per byte of input (plus --rss-base-mb).
        #[arg(long, default_value_t = 16)]
        rss_per_input_byte: u64,
        #[arg(long, default_value_t = 256)]
        rss_base_mb: u64,
    },
    /// Read one file and print what happened as JSON (what `hostile` runs in its children).
    #[command(hide = true)]
    HostileOne {
        file: PathBuf,
        #[arg(long)]
        reader: Option<String>,
    },
    /// generate + ingest + query, then one Markdown summary.
    All {
        #[arg(long)]
        docs: usize,
        /// Working folder: docs.jsonl and data/ go here.
        #[arg(long)]
        work: PathBuf,
        #[arg(long)]
        shared: Option<PathBuf>,
        #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
        max_body_bytes: usize,
        #[arg(long, default_value_t = 200)]
        runs: usize,
        #[arg(long, default_value_t = 20.0)]
        budget_secs: f64,
        /// Query each side right after ingesting it, then delete its folder (and the opis one
        /// too unless --keep-opis): for a disk that cannot hold the three systems at once.
        #[arg(long)]
        one_side_at_a_time: bool,
        /// With --one-side-at-a-time: keep the opis data folder (to serve it afterwards).
        #[arg(long)]
        keep_opis: bool,
    },
}

fn shared_dir(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let here = Path::new("../shared");
        if here.join("corpora").exists() {
            here.to_owned()
        } else {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
        }
    })
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Hostile { out, shared, big_mb, timeout_secs, rss_per_input_byte, rss_base_mb } => {
            let settings = hostile::Settings {
                out,
                shared: shared_dir(shared),
                big_mb,
                timeout: std::time::Duration::from_secs_f64(timeout_secs),
                rss_per_input_byte,
                rss_base_mb,
            };
            let rows = hostile::run(&settings)?;
            hostile::write_rows(&rows, &settings.out)?;
            println!("`{}` · {}\n", report::command_line(), report::machine());
            print!("{}", hostile::report_md(&rows, &settings));
            let failures = rows.iter().filter(|r| !matches!(r.outcome.as_str(), "read" | "refused")).count();
            anyhow::ensure!(failures == 0, "{failures} reading(s) panicked, crashed, hung or overran memory");
        }
        Cmd::HostileOne { file, reader } => {
            let reader = match reader {
                Some(name) => {
                    Some(opis_formats::Reader::from_name(&name).with_context(|| format!("unknown reader {name:?}"))?)
                }
                None => None,
            };
            hostile::run_one(&file, reader)?;
        }
        Cmd::Generate { docs, out, shared, max_body_bytes } => {
            let g = generate::run(&shared_dir(shared), docs, &out, max_body_bytes)?;
            print!("{}", report::generate_md(&g));
        }
        Cmd::Ingest { input, data, side: Some(side) } => ingest::run_side(&input, &data, side)?,
        Cmd::Ingest { input, data, side: None } => {
            let r = ingest::run_all(&input, &data)?;
            println!("`{}` · {}\n", report::command_line(), report::machine());
            print!("{}", report::ingest_md(&r));
        }
        Cmd::Query { data, runs, budget_secs } => {
            let rows = query::run(&data, runs, budget_secs)?;
            println!("`{}` · {}\n", report::command_line(), report::machine());
            print!("{}", report::query_md(&rows));
        }
        Cmd::SearchPage { data, queries, runs } => {
            let c = page::run(&data, &queries, runs)?;
            println!("`{}` · {}\n", report::command_line(), report::machine());
            println!("{} queries, {runs} uncached runs each\n", c.queries);
            println!("| search, ms | p50 | p90 | p99 | mean |\n|---|---:|---:|---:|---:|");
            println!("{}", page::PageCost::line("page: 20 hits + total + facets", &c.page));
            println!("{}", page::PageCost::line("20 hits + total", &c.ranked));
            println!("{}", page::PageCost::line("total + facets", &c.facets));
        }
        Cmd::Postgres { input, work, store, opis, runs, budget_secs, pg_timeout_secs, keep } => {
            let opis = match opis {
                Some(p) => p,
                None => std::env::current_exe()?.with_file_name("opis"),
            };
            let settings = pg::Settings {
                input,
                work,
                store,
                opis,
                runs,
                budget_secs,
                pg_timeout: std::time::Duration::from_secs(pg_timeout_secs),
                keep,
            };
            let r = pg::run(&settings)?;
            println!("### opis on PostgreSQL and on the embedded store\n");
            println!("`{}`  \n{}\n", report::command_line(), report::machine());
            print!("{}", pg::report_md(&r));
        }
        Cmd::Oai { data } => {
            let r = oai::run(&data)?;
            println!("`{}` · {}\n", report::command_line(), report::machine());
            print!("{}", report::oai_md(&r));
        }
        Cmd::All { docs, work, shared, max_body_bytes, runs, budget_secs, one_side_at_a_time, keep_opis } => {
            std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
            let input = work.join("docs.jsonl");
            let data = work.join("data");
            eprintln!("generate: {docs} documents → {}", input.display());
            let g = generate::run(&shared_dir(shared), docs, &input, max_body_bytes)?;
            eprint!("{}", report::generate_md(&g));
            let (ingest, rows) = if one_side_at_a_time {
                let mut timings = std::collections::BTreeMap::new();
                let ingest = ingest::run_all_then(&input, &data, |side| {
                    timings.insert(side.dir(), query::time_side(&data, side, runs, budget_secs)?);
                    if side != Side::Opis || !keep_opis {
                        let dir = data.join(side.dir());
                        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
                    }
                    Ok(())
                })?;
                let mut take = |side: Side| timings.remove(side.dir()).unwrap_or_default();
                let rows = query::combine(take(Side::Opis), take(Side::Fts5), take(Side::Bare));
                (ingest, rows)
            } else {
                (ingest::run_all(&input, &data)?, query::run(&data, runs, budget_secs)?)
            };
            println!("### opis benchmark, {docs} documents\n");
            println!("`{}`  \n{}\n", report::command_line(), report::machine());
            println!("{}", report::generate_md(&g));
            println!("{}", report::ingest_md(&ingest));
            println!("{}", report::query_md(&rows));
            println!("{}", report::goals_md(&ingest, &rows));
            println!(
                "FTS5: `porter unicode61 remove_diacritics 2`; documents and turns each top 10 by bm25 (`ORDER BY rank`) \
                 with `snippet()`, plus `count(*)` (or one `GROUP BY` per table for facets: kind, language, collection, \
                 year; speakers); date/kind/lang as SQL `WHERE` on B-tree indexes; read-only, 64 MiB cache, mmap. \
                 Bare tantivy: one `TEXT` field (default tokenizer), one entry per document, top 10 ids + count, one thread. opis: \
                 a search spreads its segments over the cores (up to 4). Hits = documents + turns matched (bare: documents)."
            );
        }
    }
    Ok(())
}
