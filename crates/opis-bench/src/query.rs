//! `query`: a fixed query set timed on opis, SQLite FTS5 and the bare tantivy index.
//!
//! Every query is run once to warm caches, then `runs` times (fewer when a system takes longer
//! than the time budget for one query; at least [`MIN_RUNS`]), one system after the other. Each
//! run is one call that returns what a search page shows: the top 10 hits with snippets, the
//! total, and facets when asked (opis: `Index::search_uncached` with limit 10, so the
//! result cache answers none of the runs; FTS5: see
//! [`crate::fts::FtsSearcher::search`]; bare: total and the top 10 ids, plain words and phrases
//! only).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use opis_index::{Index, SearchOptions};
use serde::Serialize;

use crate::bare::BareSearcher;
use crate::fts::{FtsQuery, FtsSearcher};
use crate::ingest::Side;

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
    let opis = time_side(data, Side::Opis, runs, budget_secs)?;
    let fts5 = time_side(data, Side::Fts5, runs, budget_secs)?;
    let bare = time_side(data, Side::Bare, runs, budget_secs)?;
    let rows = combine(opis, fts5, bare);
    std::fs::write(data.join("query-report.json"), serde_json::to_vec_pretty(&rows)?)?;
    Ok(rows)
}

/// One system's timings of the query set, in [`query_set`] order (`None` where the system has
/// no form of the query).
pub fn time_side(data: &Path, side: Side, runs: usize, budget_secs: f64) -> Result<Vec<Option<Timing>>> {
    let dir = data.join(side.dir());
    let mut out = Vec::new();
    match side {
        Side::Opis => {
            let index = Index::open(&dir).context("opening the opis index")?;
            for q in query_set() {
                let opts = SearchOptions { limit: 10, facets: q.facets, ..Default::default() };
                out.push(Some(time(runs, budget_secs, || {
                    let r = index.search_uncached(q.opis, &opts).with_context(|| format!("opis: {}", q.opis))?;
                    Ok(std::hint::black_box(r).total)
                })?));
            }
        }
        Side::Fts5 => {
            let fts = FtsSearcher::open(&dir)?;
            for q in query_set() {
                out.push(Some(time(runs, budget_secs, || {
                    let r = fts.search(&q.fts).with_context(|| format!("FTS5: {:?}", q.fts))?;
                    Ok(std::hint::black_box(r).total)
                })?));
            }
        }
        Side::Bare => {
            let bare = BareSearcher::open(&dir)?;
            for q in query_set() {
                out.push(match q.bare {
                    Some(b) => Some(time(runs, budget_secs, || {
                        let r = bare.search(b).with_context(|| format!("bare tantivy: {b}"))?;
                        Ok(std::hint::black_box(r).0)
                    })?),
                    None => None,
                });
            }
        }
    }
    for (q, t) in query_set().iter().zip(&out) {
        if let Some(t) = t {
            eprintln!("query: {:?} {:40} p50 {:8.2} ms ({} hits)", side, label(q), t.p50(), t.hits);
        }
    }
    Ok(out)
}

pub(crate) fn label(q: &BenchQuery) -> String {
    if q.facets { format!("{} --facets", q.opis) } else { q.opis.to_owned() }
}

/// The query set on several opis indexes (data folders), interleaved: each query is timed on
/// every index in turn before the next query, so that a busy moment of the machine falls on all
/// of them alike. The same call as [`time_side`] makes for opis (`Index::search_uncached`,
/// limit 10, facets when the query asks). Returns one list of timings per folder, in
/// [`query_set`] order.
pub fn time_folders(folders: &[&Path], runs: usize, budget_secs: f64) -> Result<Vec<Vec<Timing>>> {
    let indexes = folders
        .iter()
        .map(|dir| Index::open(dir).with_context(|| format!("opening the opis index in {}", dir.display())))
        .collect::<Result<Vec<_>>>()?;
    let mut out = vec![Vec::new(); folders.len()];
    for q in query_set() {
        let opts = SearchOptions { limit: 10, facets: q.facets, ..Default::default() };
        for (index, timings) in indexes.iter().zip(out.iter_mut()) {
            timings.push(time(runs, budget_secs, || {
                let r = index.search_uncached(q.opis, &opts).with_context(|| format!("opis: {}", q.opis))?;
                Ok(std::hint::black_box(r).total)
            })?);
        }
    }
    Ok(out)
}

/// The rows of the query table from each system's timings.
pub fn combine(opis: Vec<Option<Timing>>, fts5: Vec<Option<Timing>>, bare: Vec<Option<Timing>>) -> Vec<QueryRow> {
    query_set()
        .iter()
        .zip(opis.into_iter().zip(fts5).zip(bare))
        .map(|(q, ((opis, fts5), bare))| QueryRow {
            query: label(q),
            opis: opis.unwrap_or_default(),
            fts5: fts5.unwrap_or_default(),
            bare,
        })
        .collect()
}

/// One warm-up call, then up to `runs` timed calls (at least [`MIN_RUNS`]; no new run starts
/// once `budget_secs` have passed).
pub(crate) fn time(runs: usize, budget_secs: f64, mut f: impl FnMut() -> Result<u64>) -> Result<Timing> {
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
