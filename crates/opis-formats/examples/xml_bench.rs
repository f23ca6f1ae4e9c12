//! Benchmark of the XML readers against the practical limit: a bare quick-xml event
//! loop over the same bytes, measured in the same run.
//!
//! - FRUS: a volume assembled in memory by repeating the excerpt's documents (with new
//!   `xml:id`s) to the target size (default 10 MB), and once more at four times that
//!   size to show whether memory stays flat in the input size.
//! - ParlaMint: every sitting of the ParlaMint-AT folder.
//!
//! `cargo run --release -p opis-formats --example xml_bench -- [SHARED_DIR] [MB]`

use std::path::{Path, PathBuf};
use std::time::Instant;

use quick_xml::events::Event;

fn main() {
    let mut args = std::env::args().skip(1);
    let shared = PathBuf::from(args.next().unwrap_or_else(|| "../shared".into()));
    let mb: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);

    let excerpt = std::fs::read_to_string(shared.join("corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml"))
        .expect("the FRUS excerpt");
    // The larger volume first, so that the smaller one's peak cannot hide under it.
    for size in [mb * 4, mb] {
        let volume = assemble_volume(&excerpt, size * 1_000_000);
        let rss_before = peak_rss_kb();
        // Streaming: each document is handed on (and here dropped) as the next is read,
        // as an ingest that stores documents in batches would.
        let (ours, docs) = time(|| {
            let mut n = 0;
            opis_formats::frus::parse_frus_each(Path::new("volume.xml"), &volume, &mut |_| n += 1).unwrap();
            n
        });
        let rss_after = peak_rss_kb();
        let (bare, events) = time(|| bare_loop(&volume));
        report(&format!("FRUS volume {:.1} MB", volume.len() as f64 / 1e6), volume.len(), ours, bare, docs, events);
        println!("  peak RSS {} MB after parsing (was {} MB)", rss_after / 1024, rss_before / 1024);
    }

    let folder = shared.join("corpora/parlamint/ParlaMint-AT");
    let mut files: Vec<(PathBuf, String)> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .filter(|(_, t)| t.contains("<u "))
        .collect();
    files.sort();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let (ours, docs) = time(|| {
        files.iter().map(|(p, t)| opis_formats::parlamint::parse_parlamint(p, t).map_or(0, |d| d.len())).sum::<usize>()
    });
    let (bare, events) = time(|| files.iter().map(|(_, t)| bare_loop(t)).sum::<usize>());
    report(&format!("ParlaMint-AT {} sittings", files.len()), bytes, ours, bare, docs, events);
}

/// The excerpt's header and chapter wrapper around its four documents repeated with
/// new ids until the text reaches `target` bytes.
fn assemble_volume(excerpt: &str, target: usize) -> String {
    let first = excerpt.find("<div type=\"document\"").expect("a document div");
    // The documents run from the first document div to the chapter's closing tag, the last one.
    let chapter_end = excerpt.rfind("</div>").expect("closing divs");
    let (head, docs, tail) = (&excerpt[..first], &excerpt[first..chapter_end], &excerpt[chapter_end..]);
    let mut out = String::with_capacity(target + excerpt.len());
    out.push_str(head);
    let mut round = 0;
    while out.len() < target {
        round += 1;
        out.push_str(&docs.replace("xml:id=\"d16", &format!("xml:id=\"r{round}d16")));
    }
    out.push_str(tail);
    out
}

fn bare_loop(text: &str) -> usize {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(_) => n += 1,
            Err(e) => panic!("bare loop: {e}"),
        }
    }
    n
}

fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed().as_secs_f64(), out)
}

fn report(what: &str, bytes: usize, ours: f64, bare: f64, docs: usize, events: usize) {
    let mb = bytes as f64 / 1e6;
    println!("{what}: {docs} documents, {events} XML events");
    println!("  reader    {:>8.3} s  {:>8.1} MB/s", ours, mb / ours);
    println!("  bare loop {:>8.3} s  {:>8.1} MB/s", bare, mb / bare);
    println!("  ratio: the reader runs at {:.2} of the bare loop's speed", bare / ours);
}

/// Peak resident set size of this process so far, in KiB (Linux).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_owned()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}
