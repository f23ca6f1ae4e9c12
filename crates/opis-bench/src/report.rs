//! Markdown tables of the results, for pasting into an issue note.

use std::fmt::Write as _;

use crate::generate::GenerateReport;
use crate::ingest::{IngestReport, SideReport};
use crate::query::{QueryRow, Timing, percentile};

/// Goals of issue 4.
const INGEST_RATIO_GOAL: f64 = 2.0;
const P50_SPEEDUP_GOAL: f64 = 5.0;
const P99_GOAL_MS: f64 = 20.0;
const RSS_GOAL: u64 = 1 << 30;

/// The machine: cores, CPU model, memory.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU".to_owned(), |(_, m)| m.trim().to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    format!("{cores} cores ({model}), {:.0} GiB RAM", mem_kb as f64 / (1 << 20) as f64)
}

/// The command line as run.
pub fn command_line() -> String {
    std::env::args().map(|a| if a.contains(' ') { format!("'{a}'") } else { a }).collect::<Vec<_>>().join(" ")
}

fn mib(b: u64) -> String {
    format!("{:.0} MiB", b as f64 / (1 << 20) as f64)
}

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

fn ms(v: f64) -> String {
    if v.is_nan() {
        "–".to_owned()
    } else if v < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    }
}

fn check(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

/// The corpus paragraph.
pub fn generate_md(g: &GenerateReport) -> String {
    format!(
        "Corpus: {} documents cycling through {} real documents of `../shared` ({} files read, {} not documents); \
         {} bodies capped at {} bytes of block text (whole blocks); JSONL {} — **{:.0} bytes of JSON per document** \
         on average; generated in {:.1} s.\n",
        g.documents,
        g.real_documents,
        g.files_read,
        g.files_skipped,
        g.capped,
        g.max_body_bytes,
        mb(g.jsonl_bytes),
        g.avg_doc_bytes,
        g.seconds
    )
}

/// The ingest table.
pub fn ingest_md(r: &IngestReport) -> String {
    let (o, f, b) = (&r.opis, &r.fts5, &r.bare);
    let mut s = String::new();
    let _ = writeln!(s, "| ingest | opis | SQLite FTS5 | opis ÷ FTS5 | bare tantivy |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    // A figure a side does not measure is 0: shown as "–".
    let row = |s: &mut String, name: &str, get: &dyn Fn(&SideReport) -> f64, fmt: &dyn Fn(f64) -> String| {
        let show = |v: f64| if v == 0.0 { "–".to_owned() } else { fmt(v) };
        let ratio = if get(o) == 0.0 || get(f) == 0.0 { "–".to_owned() } else { format!("{:.2}×", get(o) / get(f)) };
        let _ = writeln!(s, "| {name} | {} | {} | {ratio} | {} |", show(get(o)), show(get(f)), show(get(b)));
    };
    row(&mut s, "documents/s", &|x| x.docs_per_s(), &|v| format!("{v:.0}"));
    row(&mut s, "MB/s of JSONL", &|x| x.mb_per_s(), &|v| format!("{v:.1}"));
    row(&mut s, "wall time, s", &|x| x.wall_s, &|v| format!("{v:.1}"));
    row(&mut s, "CPU time (user + system, all threads), s", &|x| x.cpu_s, &|v| format!("{v:.1}"));
    row(&mut s, "· writing (FTS5 inserts / add_document), s", &|x| x.write_s, &|v| format!("{v:.1}"));
    row(&mut s, "· finishing (opis: people authority rebuild / optimize / commit), s", &|x| x.finish_s, &|v| {
        format!("{v:.1}")
    });
    row(&mut s, "· JSON parsing (reader thread, overlapped), s", &|x| x.parse_s, &|v| format!("{v:.1}"));
    row(&mut s, "peak RSS (VmHWM)", &|x| x.peak_rss as f64, &|v| mib(v as u64));
    row(&mut s, "· peak anonymous RSS (heap, sampled)", &|x| x.peak_anon as f64, &|v| mib(v as u64));
    row(&mut s, "bytes on disk", &|x| x.disk_bytes as f64, &|v| mb(v as u64));
    s
}

/// The query table, overall rows included.
pub fn query_md(rows: &[QueryRow]) -> String {
    let mut s = String::new();
    let runs = rows.iter().map(|r| r.opis.ms.len()).max().unwrap_or(0);
    let _ = writeln!(
        s,
        "| query ({runs} runs, warm) | opis p50 / p99 ms | hits | FTS5 p50 / p99 ms | hits | FTS5 ÷ opis p50 | bare p50 / p99 ms | hits |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let fts_runs = if r.fts5.ms.len() < runs { format!(" ({} runs)", r.fts5.ms.len()) } else { String::new() };
        let _ = writeln!(
            s,
            "| `{}` | {} / {} | {} | {} / {}{fts_runs} | {} | {:.1}× | {} | {} |",
            r.query,
            ms(r.opis.p50()),
            ms(r.opis.p99()),
            r.opis.hits,
            ms(r.fts5.p50()),
            ms(r.fts5.p99()),
            r.fts5.hits,
            r.fts5.p50() / r.opis.p50(),
            r.bare.as_ref().map_or("–".to_owned(), |b| format!("{} / {}", ms(b.p50()), ms(b.p99()))),
            r.bare.as_ref().map_or("–".to_owned(), |b| b.hits.to_string()),
        );
    }
    let all = Overall::of(rows, false);
    let words = Overall::of(rows, true);
    for (name, o) in [("**all queries**", &all), ("**word/phrase subset**", &words)] {
        let _ = writeln!(
            s,
            "| {name} | {} / {} | | {} / {} | | {:.1}× | {} | |",
            ms(o.opis.0),
            ms(o.opis.1),
            ms(o.fts5.0),
            ms(o.fts5.1),
            o.fts5.0 / o.opis.0,
            o.bare.map_or("–".to_owned(), |b| format!("{} / {}", ms(b.0), ms(b.1))),
        );
    }
    s
}

/// Overall (p50, p99) per system; each query weighs the same.
struct Overall {
    opis: (f64, f64),
    fts5: (f64, f64),
    bare: Option<(f64, f64)>,
}

impl Overall {
    fn of(rows: &[QueryRow], bare_subset: bool) -> Overall {
        let rows: Vec<&QueryRow> = rows.iter().filter(|r| !bare_subset || r.bare.is_some()).collect();
        let pp = |ts: Vec<&Timing>| (percentile(&ts, 0.5), percentile(&ts, 0.99));
        Overall {
            opis: pp(rows.iter().map(|r| &r.opis).collect()),
            fts5: pp(rows.iter().map(|r| &r.fts5).collect()),
            bare: bare_subset.then(|| pp(rows.iter().filter_map(|r| r.bare.as_ref()).collect())),
        }
    }
}

/// The goals of issue 4 against these figures.
pub fn goals_md(ingest: &IngestReport, rows: &[QueryRow]) -> String {
    let all = Overall::of(rows, false);
    let ratio = ingest.opis.docs_per_s() / ingest.fts5.docs_per_s();
    let speedup = all.fts5.0 / all.opis.0;
    format!(
        "Goals: ingest ≥ {INGEST_RATIO_GOAL}× FTS5 throughput: {ratio:.2}× — {}; p50 ≥ {P50_SPEEDUP_GOAL}× faster than \
         FTS5: {speedup:.1}× — {}; p99 < {P99_GOAL_MS} ms: {} ms — {}; peak RSS < 1 GiB while ingesting: {} — {}.\n",
        check(ratio >= INGEST_RATIO_GOAL),
        check(speedup >= P50_SPEEDUP_GOAL),
        ms(all.opis.1),
        check(all.opis.1 < P99_GOAL_MS),
        mib(ingest.opis.peak_rss),
        check(ingest.opis.peak_rss < RSS_GOAL),
    )
}

/// The OAI-PMH harvest beside the store reads.
pub fn oai_md(r: &crate::oai::OaiReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "OAI-PMH harvest of {} documents, {} records a page\n", r.documents, r.page_size);
    let _ = writeln!(out, "| pass | records | requests | bytes | seconds | records/s |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for p in &r.passes {
        let bytes = if p.bytes == 0 { "–".to_owned() } else { mb(p.bytes) };
        let rate = p.records as f64 / p.secs.max(1e-9);
        let _ = writeln!(out, "| {} | {} | {} | {bytes} | {:.2} | {rate:.0} |", p.what, p.records, p.requests, p.secs);
    }
    out
}
