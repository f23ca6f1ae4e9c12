//! `query`: a fixed query set timed on opis, SQLite FTS5 and the bare tantivy index.
//!
//! Every query is run once to warm caches, then `runs` times (fewer when a system takes longer
//! than the time budget for one query; at least [`MIN_RUNS`]), one system after the other. Each
//! run is one call that returns what a search page shows: the top 10 hits with snippets, the
//! total, and facets when asked (opis: `Index::search` with limit 10; FTS5: see
//! [`crate::fts::FtsSearcher::search`]; bare: total and the top 10 ids, plain words and phrases
//! only).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use opis_index::{Index, SearchOptions};
use serde::Serialize;

use crate::bare::BareSearcher;
use crate::fts::{FtsQuery, FtsSearcher};
use crate::ingest::{BARE_DIR, FTS5_DIR, OPIS_DIR};

/// Runs of one query on one system even past the time budget.
pub const MIN_RUNS: usize = 10;

/// One query of the set, in each system's terms.
pub struct BenchQuery {
    /// The opis query, as typed.
    pub opis: &'static str,
    pub facets: bool,
    pub fts: FtsQuery,
    /// The bare tantivy query, for plain words and phrases.
    pub bare: Option<&'static str>,
}

const fn words(opis: &'static str, fts: &'static str) -> BenchQuery {
    BenchQuery {
        opis,
        facets: false,
        fts: FtsQuery::Match { docs: fts, turns: fts, date: None, facets: false },
        bare: Some(opis),
    }
}

/// The fixed query set.
pub fn query_set() -> Vec<BenchQuery> {
    vec![
        words("troops", "troops"),
        words("Hungary", "Hungary"),
        words("\"Warsaw Pact\"", "\"Warsaw Pact\""),
        words("\"Pancha Shila\"", "\"Pancha Shila\""),
        BenchQuery {
            opis: "speaker:Zhukov troops",
            facets: false,
            fts: FtsQuery::Match {
                docs: "speakers:Zhukov AND troops",
                turns: "speakers:Zhukov AND text:troops",
                date: None,
                facets: false,
            },
            bare: None,
        },
        BenchQuery {
            opis: "kind:telegram",
            facets: false,
            fts: FtsQuery::Filter { condition: "kind = ?1", args: &["telegram"] },
            bare: None,
        },
        BenchQuery {
            opis: "lang:de",
            facets: false,
            fts: FtsQuery::Filter { condition: "language = ?1", args: &["de"] },
            bare: None,
        },
        BenchQuery {
            opis: "date:1956-11-01..1956-11-05 Hungary",
            facets: false,
            fts: FtsQuery::Match {
                docs: "Hungary",
                turns: "Hungary",
                date: Some(("1956-11-01", "1956-11-05")),
                facets: false,
            },
            bare: None,
        },
        BenchQuery {
            opis: "date:1956",
            facets: false,
            fts: FtsQuery::Filter {
                condition: "date_from <= ?2 AND date_to >= ?1",
                args: &["1956-01-01", "1956-12-31"],
            },
            bare: None,
        },
        words("Рокоссовский", "Рокоссовский"),
        BenchQuery {
            opis: "Hungary",
            facets: true,
            fts: FtsQuery::Match { docs: "Hungary", turns: "Hungary", date: None, facets: true },
            bare: None,
        },
    ]
}

/// Latencies of one query on one system.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timing {
    /// Milliseconds, one per run.
    pub ms: Vec<f64>,
    /// The total the system reported.
    pub hits: u64,
}

impl Timing {
    pub fn p50(&self) -> f64 {
        percentile(&[self], 0.50)
    }

    pub fn p99(&self) -> f64 {
        percentile(&[self], 0.99)
    }
}

/// The nearest-rank percentile over several queries' runs, each query weighing the same
/// whatever its number of runs.
pub fn percentile(timings: &[&Timing], p: f64) -> f64 {
    let mut weighted: Vec<(f64, f64)> = timings
        .iter()
        .filter(|t| !t.ms.is_empty())
        .flat_map(|t| t.ms.iter().map(move |&v| (v, 1.0 / t.ms.len() as f64)))
        .collect();
    if weighted.is_empty() {
        return f64::NAN;
    }
    weighted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = weighted.iter().map(|w| w.1).sum();
    let target = p * total;
    let mut acc = 0.0;
    for (v, w) in &weighted {
        acc += w;
        if acc >= target - 1e-9 {
            return *v;
        }
    }
    weighted.last().map_or(f64::NAN, |w| w.0)
}

/// One query's timings on each system.
#[derive(Debug, Clone, Serialize)]
pub struct QueryRow {
    pub query: String,
    pub opis: Timing,
    pub fts5: Timing,
    pub bare: Option<Timing>,
}

/// Times the query set on the three systems built in `data`.
pub fn run(data: &Path, runs: usize, budget_secs: f64) -> Result<Vec<QueryRow>> {
    let index = Index::open(&data.join(OPIS_DIR)).context("opening the opis index")?;
    let fts = FtsSearcher::open(&data.join(FTS5_DIR))?;
    let bare = BareSearcher::open(&data.join(BARE_DIR))?;
    let mut rows = Vec::new();
    for q in query_set() {
        let label = if q.facets { format!("{} --facets", q.opis) } else { q.opis.to_owned() };
        let opts = SearchOptions { limit: 10, facets: q.facets, ..Default::default() };
        let opis = time(runs, budget_secs, || {
            let r = index.search(q.opis, &opts).with_context(|| format!("opis: {}", q.opis))?;
            Ok(std::hint::black_box(r).total)
        })?;
        let fts5 = time(runs, budget_secs, || {
            let r = fts.search(&q.fts).with_context(|| format!("FTS5: {:?}", q.fts))?;
            Ok(std::hint::black_box(r).total)
        })?;
        let bare = match q.bare {
            Some(b) => Some(time(runs, budget_secs, || {
                let r = bare.search(b).with_context(|| format!("bare tantivy: {b}"))?;
                Ok(std::hint::black_box(r).0)
            })?),
            None => None,
        };
        eprintln!(
            "query: {label:40} opis p50 {:8.2} ms ({} hits) · FTS5 p50 {:8.2} ms ({} hits){}",
            opis.p50(),
            opis.hits,
            fts5.p50(),
            fts5.hits,
            bare.as_ref().map(|b| format!(" · bare p50 {:.2} ms ({} hits)", b.p50(), b.hits)).unwrap_or_default()
        );
        rows.push(QueryRow { query: label, opis, fts5, bare });
    }
    std::fs::write(data.join("query-report.json"), serde_json::to_vec_pretty(&rows)?)?;
    Ok(rows)
}

/// One warm-up call, then up to `runs` timed calls (at least [`MIN_RUNS`]; no new run starts
/// once `budget_secs` have passed).
fn time(runs: usize, budget_secs: f64, mut f: impl FnMut() -> Result<u64>) -> Result<Timing> {
    let hits = std::hint::black_box(f()?);
    let started = Instant::now();
    let mut ms = Vec::with_capacity(runs);
    for i in 0..runs.max(1) {
        if i >= MIN_RUNS && started.elapsed().as_secs_f64() > budget_secs {
            break;
        }
        let t = Instant::now();
        std::hint::black_box(f()?);
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(Timing { ms, hits })
}
