//! `search-page`: what the search page's search costs when no cache answers it. Each query of
//! a file (one a line) is run as the page runs it (20 hits with snippets, the total and the
//! facets), then without facets, then for the count and facets alone, each through
//! `Index::search_uncached`, so the split shows where a page's time goes.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use opis_index::{Index, SearchOptions};

use crate::query::{Timing, percentile};

/// Hits on one search page (opis-web's page size).
const PAGE_HITS: usize = 20;

/// Latencies of the three forms over every query.
pub struct PageCost {
    pub queries: usize,
    /// Hits + total + facets, as the page asks.
    pub page: Vec<Timing>,
    /// Hits + total, no facets.
    pub ranked: Vec<Timing>,
    /// Total + facets, no hits.
    pub facets: Vec<Timing>,
}

impl PageCost {
    pub fn line(label: &str, t: &[Timing]) -> String {
        let all: Vec<&Timing> = t.iter().collect();
        let mean =
            t.iter().flat_map(|t| &t.ms).sum::<f64>() / t.iter().map(|t| t.ms.len()).sum::<usize>().max(1) as f64;
        format!(
            "| {label} | {:.2} | {:.2} | {:.2} | {:.2} |",
            percentile(&all, 0.5),
            percentile(&all, 0.9),
            percentile(&all, 0.99),
            mean
        )
    }
}

/// Times every query of `queries` (one a line; blank lines skipped) `runs` times in each form.
pub fn run(data: &Path, queries: &Path, runs: usize) -> Result<PageCost> {
    let dir = if data.join("opis").join("index").exists() { data.join("opis") } else { data.to_owned() };
    let index = Index::open(&dir).with_context(|| format!("opening the opis index in {}", dir.display()))?;
    let text = std::fs::read_to_string(queries).with_context(|| format!("reading {}", queries.display()))?;
    let list: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let forms = [
        SearchOptions { limit: PAGE_HITS, facets: true, ..Default::default() },
        SearchOptions { limit: PAGE_HITS, facets: false, ..Default::default() },
        SearchOptions { limit: 0, facets: true, ..Default::default() },
    ];
    let mut out: [Vec<Timing>; 3] = Default::default();
    for q in &list {
        for (form, timings) in forms.iter().zip(out.iter_mut()) {
            let mut t = Timing::default();
            for _ in 0..runs.max(1) {
                let start = Instant::now();
                let r = index.search_uncached(q, form).with_context(|| format!("opis: {q}"))?;
                t.ms.push(start.elapsed().as_secs_f64() * 1000.0);
                t.hits = std::hint::black_box(r).total;
            }
            timings.push(t);
        }
    }
    let [page, ranked, facets] = out;
    Ok(PageCost { queries: list.len(), page, ranked, facets })
}
