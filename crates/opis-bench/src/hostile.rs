//! `hostile`: hostile and broken input for every reader, made here, read under a time bound.
//!
//! The files are written into a folder: XML from the corpora truncated at every thousandth
//! byte, wrong and missing encodings, a big file (200 MB by default), 100,000-deep element
//! nesting, entity expansion bombs and external entities, a CSV with unbalanced quotes, a
//! record with 100,000 note markers, NUL bytes, mixed scripts, right-to-left text, names with
//! combining marks, JSON nested 100,000 deep, empty and binary files. Each file is read in a
//! child process of its own (`opis-bench hostile-one`), with the reader chosen from the content
//! as `opis ingest` does and, for the small cases, with every reader forced; the parent kills a
//! child that runs past the time bound. The child reports what happened and its peak RSS
//! (`VmHWM`). Outcomes: `read` (documents, maybe with diagnostics), `refused` (a `FormatError`,
//! whose message is shown), `PANIC`, `CRASH` (killed by a signal: a stack overflow aborts),
//! `HANG` (past the time bound), `MEMORY` (peak RSS above the bound). The last four are
//! failures: the command exits 1 when any occurs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use opis_formats::{Reader, parse_bytes};
use serde::{Deserialize, Serialize};

/// What the child reports on its stdout, one JSON line.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChildReport {
    pub outcome: String,
    pub documents: usize,
    pub diagnostics: usize,
    pub message: String,
    pub ms: f64,
    pub peak_rss_kb: u64,
}

/// One file and the readers to try on it (`None`: detected from the content).
struct Case {
    group: &'static str,
    name: String,
    bytes: Vec<u8>,
    readers: Vec<Option<Reader>>,
}

/// One reading of one file.
#[derive(Debug, Serialize)]
pub struct Row {
    pub group: String,
    pub file: String,
    pub bytes: u64,
    pub reader: String,
    pub outcome: String,
    pub documents: usize,
    pub diagnostics: usize,
    pub ms: f64,
    pub peak_rss_kb: u64,
    pub message: String,
}

/// The settings of a run.
pub struct Settings {
    pub out: PathBuf,
    pub shared: PathBuf,
    pub big_mb: usize,
    pub timeout: Duration,
    /// Peak RSS allowed: this many bytes per byte of input, plus a base.
    pub rss_per_input_byte: u64,
    pub rss_base_mb: u64,
}

/// `opis-bench hostile-one FILE [--reader NAME]`: reads one file and prints a [`ChildReport`].
pub fn run_one(file: &Path, reader: Option<Reader>) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let started = Instant::now();
    let outcome = std::panic::catch_unwind(|| parse_bytes(file, &bytes, reader));
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let (outcome, documents, diagnostics, message) = match outcome {
        Ok(Ok(parsed)) => {
            let diagnostics =
                parsed.diagnostics.len() + parsed.documents.iter().map(|d| d.diagnostics.len()).sum::<usize>();
            let first = parsed
                .diagnostics
                .iter()
                .chain(parsed.documents.iter().flat_map(|d| d.diagnostics.iter()))
                .next()
                .map(|d| format!("[{}] {}", d.code, d.message))
                .unwrap_or_default();
            ("read", parsed.documents.len(), diagnostics, first)
        }
        Ok(Err(e)) => ("refused", 0, 0, e.to_string()),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            ("PANIC", 0, 0, what)
        }
    };
    let report = ChildReport {
        outcome: outcome.to_owned(),
        documents,
        diagnostics,
        message: shorten(&message, 160),
        ms,
        peak_rss_kb: peak_rss_kb(),
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

fn shorten(s: &str, max: usize) -> String {
    let s = s.replace(['\n', '|'], " ");
    if s.chars().count() <= max { s } else { s.chars().take(max).collect::<String>() + "…" }
}

/// This process's peak resident set (`VmHWM` in `/proc/self/status`), KB; 0 where unknown.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// Writes every case into `settings.out`, reads each in a child, returns the rows.
pub fn run(settings: &Settings) -> Result<Vec<Row>> {
    std::fs::create_dir_all(&settings.out).with_context(|| format!("creating {}", settings.out.display()))?;
    let exe = std::env::current_exe().context("finding this program")?;
    let mut rows = Vec::new();
    for case in cases(&settings.shared, settings.big_mb)? {
        let path = settings.out.join(&case.name);
        std::fs::write(&path, &case.bytes).with_context(|| format!("writing {}", path.display()))?;
        let size = case.bytes.len() as u64;
        drop(case.bytes);
        for reader in &case.readers {
            let row = read_in_child(&exe, &path, *reader, size, case.group, settings)?;
            if !matches!(row.outcome.as_str(), "read" | "refused") {
                eprintln!("hostile: {} {} ({}): {} {}", row.group, row.file, row.reader, row.outcome, row.message);
            }
            rows.push(row);
        }
        // The big file is not kept: 200 MB in a temp folder helps nobody.
        if size > 10_000_000 {
            let _ = std::fs::remove_file(&path);
        }
    }
    Ok(rows)
}

fn read_in_child(
    exe: &Path,
    path: &Path,
    reader: Option<Reader>,
    size: u64,
    group: &str,
    settings: &Settings,
) -> Result<Row> {
    let mut cmd = Command::new(exe);
    cmd.arg("hostile-one").arg(path);
    if let Some(r) = reader {
        cmd.arg("--reader").arg(r.name());
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().context("starting a reader child")?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() > settings.timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    let output = child.wait_with_output()?;
    let report: Option<ChildReport> =
        String::from_utf8_lossy(&output.stdout).lines().rev().find_map(|l| serde_json::from_str(l).ok());
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let reader_name = reader.map_or("(detected)", |r| r.name()).to_owned();
    let mut row = Row {
        group: group.to_owned(),
        file,
        bytes: size,
        reader: reader_name,
        outcome: String::new(),
        documents: 0,
        diagnostics: 0,
        ms: wall_ms,
        peak_rss_kb: 0,
        message: String::new(),
    };
    match (status, report) {
        (None, _) => {
            row.outcome = "HANG".into();
            row.message = format!("killed after {:?}", settings.timeout);
        }
        (Some(_), Some(r)) => {
            row.outcome = r.outcome;
            row.documents = r.documents;
            row.diagnostics = r.diagnostics;
            row.ms = r.ms;
            row.peak_rss_kb = r.peak_rss_kb;
            row.message = r.message;
            let bound_kb = (size * settings.rss_per_input_byte) / 1024 + settings.rss_base_mb * 1024;
            if row.peak_rss_kb > bound_kb && (row.outcome == "read" || row.outcome == "refused") {
                row.message = format!("peak RSS {} KB above the bound {bound_kb} KB; {}", row.peak_rss_kb, row.message);
                row.outcome = "MEMORY".into();
            }
        }
        (Some(status), None) => {
            row.outcome = "CRASH".into();
            let stderr = String::from_utf8_lossy(&output.stderr);
            row.message = shorten(&format!("{status}: {}", stderr.lines().last().unwrap_or_default()), 160);
        }
    }
    Ok(row)
}

/// The Markdown table of a run, with a summary line per group.
pub fn report_md(rows: &[Row], settings: &Settings) -> String {
    let mut out = String::new();
    let failures = rows.iter().filter(|r| !matches!(r.outcome.as_str(), "read" | "refused")).count();
    let _ = writeln!(
        out,
        "### Hostile input: {} readings of {} files, time bound {:?}, memory bound {}× input + {} MB\n",
        rows.len(),
        {
            let mut files: Vec<&str> = rows.iter().map(|r| r.file.as_str()).collect();
            files.dedup();
            files.len()
        },
        settings.timeout,
        settings.rss_per_input_byte,
        settings.rss_base_mb
    );
    let _ = writeln!(out, "| group | readings | read | refused | failed | slowest ms | peak RSS MB |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    let mut groups: Vec<&str> = rows.iter().map(|r| r.group.as_str()).collect();
    groups.dedup();
    for g in groups {
        let rs: Vec<&Row> = rows.iter().filter(|r| r.group == g).collect();
        let count = |o: &str| rs.iter().filter(|r| r.outcome == o).count();
        let slowest = rs.iter().map(|r| r.ms).fold(0.0, f64::max);
        let rss = rs.iter().map(|r| r.peak_rss_kb).max().unwrap_or(0) as f64 / 1024.0;
        let _ = writeln!(
            out,
            "| {g} | {} | {} | {} | {} | {slowest:.0} | {rss:.0} |",
            rs.len(),
            count("read"),
            count("refused"),
            rs.len() - count("read") - count("refused")
        );
    }
    let _ = writeln!(out, "\n| file | bytes | reader | outcome | docs | diagnostics | ms | peak RSS MB | message |");
    let _ = writeln!(out, "|---|---:|---|---|---:|---:|---:|---:|---|");
    // Every file except the truncations (their summary row above says enough), and every failure.
    for r in rows.iter().filter(|r| r.group != "truncated XML" || !matches!(r.outcome.as_str(), "read" | "refused")) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {} |",
            r.file,
            r.bytes,
            r.reader,
            r.outcome,
            r.documents,
            r.diagnostics,
            r.ms,
            r.peak_rss_kb as f64 / 1024.0,
            r.message
        );
    }
    let _ = writeln!(out, "\n{failures} failure(s) (PANIC, CRASH, HANG or MEMORY).");
    out
}

use std::fmt::Write as _;

fn every_reader() -> Vec<Option<Reader>> {
    std::iter::once(None).chain(Reader::ALL.iter().copied().map(Some)).collect()
}

fn detected() -> Vec<Option<Reader>> {
    vec![None]
}

fn read(shared: &Path, rel: &str) -> Result<Vec<u8>> {
    let p = shared.join(rel);
    std::fs::read(&p).with_context(|| format!("reading {}", p.display()))
}

/// Every case, generated from the real documents in `shared`.
fn cases(shared: &Path, big_mb: usize) -> Result<Vec<Case>> {
    let seed = read(shared, "seed/presidium-1956-10-30.txt")?;
    let seed_text = String::from_utf8_lossy(&seed).into_owned();
    let frus = read(shared, "corpora/frus/frus1955-57v25_excerpt_ch8_d162-d165.xml")?;
    let parlamint = read(shared, "corpora/parlamint/ParlaMint-GB-samples/ParlaMint-GB_2017-09-07-commons.xml")?;
    let akoma = read(shared, "corpora/akoma-ntoso/ke_Debate_Bungeni_2011-06-10.xml")?;
    let csv = read(shared, "corpora/wilson-center/wilson_archive_kohl-rows.csv")?;
    let jsonl = read(shared, "corpora/wilson-center/wilson_archive_db-export.jsonl")?;
    let api = read(shared, "corpora/wilson-center/digitalarchive-api/transcript.json")?;
    let seed_doc = opis_formats::parse_bytes(Path::new("seed.txt"), &seed, None)
        .context("reading the seed")?
        .documents
        .into_iter()
        .next()
        .context("the seed holds a document")?;
    let tei = opis_formats::tei::write_tei(&seed_doc).into_bytes();
    let opis_jsonl = (serde_json::to_string(&seed_doc)? + "\n").into_bytes();

    let mut cases = Vec::new();
    let mut add = |group: &'static str, name: &str, bytes: Vec<u8>, readers: Vec<Option<Reader>>| {
        cases.push(Case { group, name: name.to_owned(), bytes, readers })
    };

    // Truncated at every thousandth byte.
    for (label, bytes) in [
        ("frus", &frus),
        ("parlamint", &parlamint),
        ("akoma", &akoma),
        ("tei", &tei),
        ("csv", &csv),
        ("jsonl", &jsonl),
        ("api", &api),
    ] {
        for cut in (1000..bytes.len()).step_by(1000) {
            add("truncated XML", &format!("truncated-{label}-{cut:06}.bin"), bytes[..cut].to_vec(), detected());
        }
    }

    // Encodings.
    let utf16 = |text: &str, bom: bool, le: bool| {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
        }
        for u in text.encode_utf16() {
            out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    };
    add("encoding", "seed-utf16le-bom.txt", utf16(&seed_text, true, true), every_reader());
    add("encoding", "seed-utf16be-bom.txt", utf16(&seed_text, true, false), detected());
    add("encoding", "seed-utf16le-no-bom.txt", utf16(&seed_text, false, true), every_reader());
    let russian = seed_text.replace("Zhukov", "Жуков").replace("Malenkov", "Маленков");
    let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode(&russian);
    add("encoding", "seed-russian-cp1251.txt", cp1251.into_owned(), every_reader());
    let accented = seed_text.replace("Kadar", "Kádár");
    let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(&accented);
    add("encoding", "seed-latin1.txt", latin1.into_owned(), detected());
    let frus_text = String::from_utf8_lossy(&frus).into_owned();
    add(
        "encoding",
        "frus-declares-latin1.xml",
        frus_text.replacen("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"", 1).into_bytes(),
        detected(),
    );
    add("encoding", "frus-declares-utf16.xml", frus_text.replacen("UTF-8", "UTF-16", 1).into_bytes(), detected());
    add("encoding", "frus-utf16le.xml", utf16(&frus_text, true, false), detected());
    let mut broken_utf8 = seed.clone();
    for i in (100..broken_utf8.len()).step_by(997) {
        broken_utf8[i] = 0xC3; // a lead byte without its continuation
    }
    add("encoding", "seed-broken-utf8.txt", broken_utf8, every_reader());
    add("encoding", "bom-only.txt", vec![0xEF, 0xBB, 0xBF], every_reader());

    // Size and depth.
    add("empty", "empty.txt", Vec::new(), every_reader());
    let mut x = 0x2545F4914F6CDD1Du64;
    let random: Vec<u8> = (0..65_536)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    add("binary", "random.bin", random, every_reader());
    let deep = |open: &str, close: &str, n: usize, head: &str, tail: &str| {
        let mut s = String::with_capacity(n * (open.len() + close.len()) + head.len() + tail.len());
        s.push_str(head);
        for _ in 0..n {
            s.push_str(open);
        }
        s.push_str("deep text");
        for _ in 0..n {
            s.push_str(close);
        }
        s.push_str(tail);
        s.into_bytes()
    };
    let tei_head = "<?xml version=\"1.0\"?>\n<TEI xmlns=\"http://www.tei-c.org/ns/1.0\"><teiHeader><fileDesc><titleStmt>\
                    <title>Deep</title></titleStmt></fileDesc></teiHeader><text><body>";
    let tei_tail = "</body></text></TEI>\n";
    add("nesting", "tei-div-100000-deep.xml", deep("<div>", "</div>", 100_000, tei_head, tei_tail), every_reader());
    add("nesting", "tei-hi-100000-deep.xml", deep("<p><hi>", "</hi></p>", 100_000, tei_head, tei_tail), every_reader());
    let akoma_head = "<?xml version=\"1.0\"?>\n<akomaNtoso xmlns=\"http://docs.oasis-open.org/legaldocml/ns/akn/3.0\">\
                      <debate name=\"deep\"><debateBody>";
    add(
        "nesting",
        "akoma-100000-deep.xml",
        deep("<debateSection>", "</debateSection>", 100_000, akoma_head, "</debateBody></debate></akomaNtoso>"),
        detected(),
    );
    add("nesting", "json-100000-deep.json", deep("[", "]", 100_000, "", "\n"), every_reader());
    add("nesting", "jsonl-object-100000-deep.jsonl", deep("{\"a\":", "}", 100_000, "", "\n"), every_reader());

    // Entities.
    let mut bomb = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE TEI [\n<!ENTITY lol \"lol\">\n");
    for i in 1..=9 {
        let prev = if i == 1 { "lol".to_owned() } else { format!("lol{}", i - 1) };
        bomb.push_str(&format!("<!ENTITY lol{i} \"{}\">\n", format!("&{prev};").repeat(10)));
    }
    bomb.push_str("]>\n");
    let bomb_tail = "<TEI xmlns=\"http://www.tei-c.org/ns/1.0\"><teiHeader><fileDesc><titleStmt><title>&lol9;</title>\
                     </titleStmt></fileDesc></teiHeader><text><body><p>&lol9;</p></body></text></TEI>\n";
    add("entities", "billion-laughs.xml", format!("{bomb}{bomb_tail}").into_bytes(), every_reader());
    let xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE TEI [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n\
               <TEI xmlns=\"http://www.tei-c.org/ns/1.0\"><teiHeader><fileDesc><titleStmt><title>&xxe;</title>\
               </titleStmt></fileDesc></teiHeader><text><body><p>&xxe;</p></body></text></TEI>\n";
    add("entities", "external-entity.xml", xxe.as_bytes().to_vec(), every_reader());
    let parlamint_text = String::from_utf8_lossy(&parlamint).into_owned();
    let undefined = parlamint_text.replacen("</u>", "&undefined;&#0;&#xD800;&#99999999;</u>", 1);
    add("entities", "parlamint-bad-references.xml", undefined.into_bytes(), detected());

    // CSV.
    let csv_text = String::from_utf8_lossy(&csv).into_owned();
    let header = csv_text.lines().next().unwrap_or_default().to_owned();
    let first_row_end = csv_text.find('\n').unwrap_or(0) + 1;
    let unbalanced = format!("{header}\n\"unbalanced, quote{}", &csv_text[first_row_end..]);
    add("csv", "csv-unbalanced-quote.csv", unbalanced.into_bytes(), every_reader());
    let ragged = format!("{header}\na,b\n{}", "x,".repeat(10_000));
    add("csv", "csv-ragged-rows.csv", ragged.into_bytes(), detected());
    add("csv", "csv-header-only.csv", format!("{header}\n").into_bytes(), detected());

    // Records.
    let markers: String = (1..=100_000).map(|i| format!("text [{i}] ")).collect();
    let notes: String = (1..=100_000).map(|i| format!("[{i}] Note number {i}.\n")).collect();
    let many_notes = seed_text.replacen("We are unanimous.", &format!("We are unanimous. {markers}"), 1)
        + "\n**Translator's Notes**\n\n"
        + &notes;
    add("notes", "record-100000-note-markers.txt", many_notes.into_bytes(), detected());
    let only_markers = seed_text.replacen("We are unanimous.", &"[7]".repeat(100_000), 1);
    add("notes", "record-100000-markers-no-notes.txt", only_markers.into_bytes(), detected());
    let nul = seed_text.replace("Zhukov", "Zhu\0kov").replace("\n\n", "\n\0\n");
    add("nul", "record-nul-bytes.txt", nul.into_bytes(), every_reader());
    let nul_xml = frus_text.replacen("<p>", "<p>\0", 3);
    add("nul", "frus-nul-bytes.xml", nul_xml.into_bytes(), detected());
    let scripts = seed_text
        .replace("Zhukov", "Жуков")
        .replace("Malenkov", "马林科夫")
        .replace("Molotov", "מולוטוב")
        .replace("Bulganin", "بولغانين")
        .replace("Khrushchev", "Khru\u{0161}\u{0308}\u{0301}chev\u{202E}ver\u{202C}");
    add("scripts", "record-mixed-scripts-rtl.txt", scripts.into_bytes(), every_reader());
    let combining = seed_text.replace("Zhukov", "Z\u{0301}\u{0302}\u{0303}\u{0304}\u{0305}\u{0306}\u{0307}hukov");
    add("scripts", "record-combining-marks.txt", combining.into_bytes(), detected());
    let zalgo: String =
        "Kadar".chars().flat_map(|c| std::iter::once(c).chain(std::iter::repeat_n('\u{0336}', 5000))).collect();
    add("scripts", "record-zalgo-name.txt", seed_text.replace("Zhukov", &zalgo).into_bytes(), detected());
    let long_line = format!("{}\n{}\n", seed_text, "word ".repeat(2_000_000));
    add("size", "record-10mb-line.txt", long_line.into_bytes(), detected());
    let cr_only = seed_text.replace('\n', "\r");
    add("size", "record-cr-line-ends.txt", cr_only.into_bytes(), detected());
    add("size", "opis-jsonl.jsonl", opis_jsonl.repeat(1000), detected());

    // The big file: the seed's body repeated to `big_mb` MB.
    if big_mb > 0 {
        let body_start = seed_text.find("**Contents:**").unwrap_or(0);
        let (head, body) = seed_text.split_at(body_start);
        let body = body.replacen("**Contents:**", "", 1);
        let mut big = String::with_capacity(big_mb * 1_048_576 + body.len());
        big.push_str(head);
        big.push_str("**Contents:**\n");
        while big.len() < big_mb * 1_048_576 {
            big.push_str(&body);
        }
        add("size", &format!("record-{big_mb}mb.txt"), big.into_bytes(), detected());
    }
    Ok(cases)
}

/// Writes the report to stdout and the rows as JSON Lines beside the files.
pub fn write_rows(rows: &[Row], out: &Path) -> Result<()> {
    let path = out.join("results.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    for r in rows {
        writeln!(f, "{}", serde_json::to_string(r)?)?;
    }
    f.flush()?;
    Ok(())
}
