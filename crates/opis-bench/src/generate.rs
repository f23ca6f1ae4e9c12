//! `generate`: scale the real corpora in `../shared` up to N documents.
//!
//! The real documents are parsed once with `opis_formats::parse_file` (files that are not
//! documents are skipped; a document met twice, as a corpus root and its component sitting, is
//! kept once). Copy `k` of a document gets the id `{id}-copy{k}` and its date shifted by
//! `k mod 50` whole years; its text is unchanged except that bodies longer than the cap lose
//! their trailing blocks (whole blocks, so turns stay real), with the notes no longer anchored.
//! Documents are written one at a time: memory holds the real documents only.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use opis_formats::{FormatError, parse_file};
use opis_model::{DocDate, Document};
use serde::Serialize;

/// The corpora read, relative to the shared folder, in this order.
pub const SOURCES: &[&str] =
    &["seed", "corpora/wilson-center", "corpora/frus", "corpora/parlamint", "corpora/akoma-ntoso"];

/// What a generation produced.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateReport {
    pub documents: usize,
    /// Distinct real documents the copies cycle through.
    pub real_documents: usize,
    pub files_read: usize,
    pub files_skipped: usize,
    /// Real documents whose body was longer than the cap.
    pub capped: usize,
    pub max_body_bytes: usize,
    pub jsonl_bytes: u64,
    pub avg_doc_bytes: f64,
    pub seconds: f64,
}

/// Parses the corpora, then writes `docs` documents to `out`.
pub fn run(shared: &Path, docs: usize, out: &Path, max_body_bytes: usize) -> Result<GenerateReport> {
    let started = Instant::now();
    let (mut base, files_read, files_skipped) = read_corpora(shared)?;
    if base.is_empty() {
        bail!("no documents found under {}", shared.display());
    }
    let mut capped = 0;
    if max_body_bytes > 0 {
        for doc in &mut base {
            if cap_body(doc, max_body_bytes) {
                capped += 1;
            }
        }
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = CountingWriter { inner: BufWriter::with_capacity(1 << 20, file), bytes: 0 };
    for i in 0..docs {
        let k = i / base.len();
        let real = &base[i % base.len()];
        let mut copy = real.clone();
        copy.id = format!("{}-copy{k}", real.id);
        if let Some(date) = &real.date {
            copy.date = Some(shift_date(date, (k % 50) as i32));
        }
        serde_json::to_writer(&mut w, &copy)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    let jsonl_bytes = w.bytes;
    Ok(GenerateReport {
        documents: docs,
        real_documents: base.len(),
        files_read,
        files_skipped,
        capped,
        max_body_bytes,
        jsonl_bytes,
        avg_doc_bytes: if docs == 0 { 0.0 } else { jsonl_bytes as f64 / docs as f64 },
        seconds: started.elapsed().as_secs_f64(),
    })
}

struct CountingWriter<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Every real document of the corpora, in file order, each id once; plus files read and skipped.
fn read_corpora(shared: &Path) -> Result<(Vec<Document>, usize, usize)> {
    let mut files = Vec::new();
    for source in SOURCES {
        let root = shared.join(source);
        if !root.exists() {
            bail!("{} does not exist (give --shared DIR)", root.display());
        }
        walk(&root, &mut files).with_context(|| format!("listing {}", root.display()))?;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Option<Vec<Document>>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let parsed = match parse_file(path, None) {
                        Ok(p) => Some(p.documents),
                        Err(
                            FormatError::Unrecognized { .. } | FormatError::Empty { .. } | FormatError::Binary { .. },
                        ) => None,
                        Err(e) => {
                            eprintln!("generate: skipping {}: {e}", path.display());
                            None
                        }
                    };
                    results.lock().expect("not poisoned").push((i, parsed));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("not poisoned");
    results.sort_by_key(|(i, _)| *i);
    let mut seen = HashSet::new();
    let mut docs = Vec::new();
    let mut skipped = 0;
    for (_, parsed) in results {
        match parsed {
            Some(list) => docs.extend(list.into_iter().filter(|d| seen.insert(d.id.clone()))),
            None => skipped += 1,
        }
    }
    Ok((docs, files.len(), skipped))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.is_file() {
        out.push(dir.to_owned());
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.ends_with(".md") {
            continue;
        }
        let ft = e.file_type()?;
        if ft.is_dir() {
            walk(&e.path(), out)?;
        } else if ft.is_file() {
            out.push(e.path());
        }
    }
    Ok(())
}

/// Keeps the body's leading blocks up to about `max` bytes of text (at least one block) and the
/// notes anchored in what is kept. Returns whether anything was cut.
fn cap_body(doc: &mut Document, max: usize) -> bool {
    let total: usize = doc.sections.iter().flat_map(|s| &s.blocks).map(|b| b.text.len()).sum();
    if total <= max {
        return false;
    }
    let mut used = 0usize;
    let mut kept_sections = 0;
    for section in &mut doc.sections {
        if used >= max {
            break;
        }
        kept_sections += 1;
        let mut kept_blocks = 0;
        for b in &section.blocks {
            if used >= max && used > 0 {
                break;
            }
            used += b.text.len();
            kept_blocks += 1;
        }
        section.blocks.truncate(kept_blocks);
        section.annotations.retain(|a| a.at.is_none_or(|at| (at as usize) <= kept_blocks));
    }
    doc.sections.truncate(kept_sections.max(1));
    let anchored: BTreeSet<u32> = doc
        .sections
        .iter()
        .flat_map(|s| s.heading_notes.iter().chain(s.blocks.iter().flat_map(|b| &b.notes)))
        .copied()
        .collect();
    doc.notes.retain(|n| anchored.contains(&n.n));
    true
}

/// The date moved by `years` whole years (29 February becomes 28 February in a common year).
fn shift_date(date: &DocDate, years: i32) -> DocDate {
    DocDate { text: date.text.clone(), from: shift_iso(&date.from, years), to: shift_iso(&date.to, years) }
}

fn shift_iso(day: &str, years: i32) -> String {
    if years == 0 {
        return day.to_owned();
    }
    let Some((y, rest)) = day.split_once('-') else { return day.to_owned() };
    let Ok(year) = y.parse::<i32>() else { return day.to_owned() };
    if y.len() != 4 {
        return day.to_owned();
    }
    let year = year + years;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let rest = if rest == "02-29" && !leap { "02-28" } else { rest };
    format!("{year:04}-{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_years_and_leap_days() {
        assert_eq!(shift_iso("1956-11-04", 3), "1959-11-04");
        assert_eq!(shift_iso("1956-02-29", 1), "1957-02-28");
        assert_eq!(shift_iso("1956-02-29", 4), "1960-02-29");
        assert_eq!(shift_iso("garbage", 4), "garbage");
    }
}
