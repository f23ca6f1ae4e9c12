//! Benchmark of the readers: documents per second and MB/s over real files, next
//! to a bare pass over the same bytes (UTF-8 check, CRLF normalisation and a line
//! split: the floor any text reader pays) measured in the same run, so the ratio
//! means something on a noisy machine.
//!
//! `cargo run --release -p opis-formats --example parse_bench -- [--repeat N] PATH...`
//! (folders are walked one level deep).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() {
    let mut repeat = 1usize;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--repeat" {
            repeat = args.next().and_then(|n| n.parse().ok()).expect("--repeat N");
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    let files: Vec<(PathBuf, Vec<u8>)> = paths
        .iter()
        .flat_map(|p| expand(p))
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (p, bytes)
        })
        .collect();
    let bytes_per_round: usize = files.iter().map(|(_, b)| b.len()).sum();

    let (mut docs, mut errors) = (0usize, 0usize);
    let ours = time(|| {
        for _ in 0..repeat {
            for (path, bytes) in &files {
                match opis_formats::parse_bytes(path, bytes, None) {
                    Ok(p) => docs += p.documents.len(),
                    Err(_) => errors += 1,
                }
            }
        }
    });
    let mut lines = 0usize;
    let bare = time(|| {
        for _ in 0..repeat {
            for (_, bytes) in &files {
                let text = std::str::from_utf8(bytes).map(str::to_owned).unwrap_or_default();
                let text = text.replace("\r\n", "\n");
                lines += text.split('\n').filter(|l| !l.trim().is_empty()).count();
            }
        }
    });
    let mb = (bytes_per_round * repeat) as f64 / 1e6;
    println!("files {} x {repeat}: {:.2} MB, {docs} documents, {errors} errors", files.len(), mb);
    println!(
        "opis parse: {:>9.3} s  {:>10.0} documents/s  {:>8.2} MB/s",
        ours.as_secs_f64(),
        docs as f64 / ours.as_secs_f64(),
        mb / ours.as_secs_f64()
    );
    println!(
        "bare pass:  {:>9.3} s  {:>10} lines        {:>8.2} MB/s",
        bare.as_secs_f64(),
        lines,
        mb / bare.as_secs_f64()
    );
    println!("ratio: opis parse runs at {:.3} of the bare pass's speed", bare.as_secs_f64() / ours.as_secs_f64());
}

fn expand(p: &Path) -> Vec<PathBuf> {
    if p.is_dir() {
        let mut v: Vec<PathBuf> =
            std::fs::read_dir(p).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
        v.sort();
        v
    } else {
        vec![p.to_owned()]
    }
}

fn time(mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}
