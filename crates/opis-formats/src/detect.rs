//! Picking the reader for a file from its content, and the one entry point that
//! reads a file into documents.

use std::fmt;
use std::path::Path;

use opis_model::Document;
use serde_json::Value;

use crate::error::{FormatError, Result};
use crate::input::decode;
use crate::{akoma, frus, opis_jsonl, parlamint, record, tei, wilson, xml};

/// The readers opis has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// The plain-text Wilson Center record layout (the seed's).
    Record,
    /// The scraped Wilson Center CSV export.
    WilsonCsv,
    /// The scraped Wilson Center export as JSON Lines.
    WilsonJsonl,
    /// Digital Archive API JSON (transcripts, collections, records).
    WilsonApi,
    /// FRUS TEI volumes and other Office of the Historian TEI.
    Frus,
    /// ParlaMint TEI sittings and corpus roots.
    ParlaMint,
    /// Akoma Ntoso debate records.
    AkomaNtoso,
    /// TEI written by opis itself (`opis parse --format tei`).
    Tei,
    /// opis's own JSON Lines, one document per line (`opis export --format jsonl`).
    OpisJsonl,
}

impl Reader {
    pub const ALL: [Reader; 9] = [
        Reader::Record,
        Reader::WilsonCsv,
        Reader::WilsonJsonl,
        Reader::WilsonApi,
        Reader::Frus,
        Reader::ParlaMint,
        Reader::AkomaNtoso,
        Reader::Tei,
        Reader::OpisJsonl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Reader::Record => "record",
            Reader::WilsonCsv => "wilson-csv",
            Reader::WilsonJsonl => "wilson-jsonl",
            Reader::WilsonApi => "wilson-api",
            Reader::Frus => "frus",
            Reader::ParlaMint => "parlamint",
            Reader::AkomaNtoso => "akoma-ntoso",
            Reader::Tei => "tei",
            Reader::OpisJsonl => "opis-jsonl",
        }
    }

    /// Whether the reader takes one document per line, so that a file can be read in pieces
    /// of whole lines ([`parse_lines`]).
    pub fn reads_lines(self) -> bool {
        matches!(self, Reader::WilsonJsonl | Reader::OpisJsonl)
    }

    pub fn from_name(name: &str) -> Option<Reader> {
        Reader::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl fmt::Display for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What reading one file gave.
#[derive(Debug)]
pub struct Parsed {
    pub reader: Reader,
    pub documents: Vec<Document>,
    /// What was odd about the file as a whole rather than one document (a corpus
    /// root's missing includes).
    pub diagnostics: Vec<opis_model::Diagnostic>,
}

/// Chooses a reader from decoded text: JSON by its first character and keys (an opis document
/// on the first line is opis's own JSON Lines, a Wilson Center row theirs), CSV
/// by its header, otherwise the record layout.
pub fn detect_reader(path: &Path, text: &str) -> Result<Reader> {
    let start = text.trim_start();
    if start.starts_with('<') {
        return detect_xml_reader(path, text);
    }
    if start.starts_with('{') || start.starts_with('[') {
        let first_line = start.lines().next().unwrap_or("");
        let first = serde_json::from_str::<Value>(first_line);
        if matches!(first, Ok(Value::Object(ref m)) if opis_jsonl::looks_like_document(m)) {
            return Ok(Reader::OpisJsonl);
        }
        let line_is_row = matches!(first, Ok(Value::Object(ref m)) if wilson::looks_like_row(m));
        if line_is_row && start.lines().filter(|l| !l.trim().is_empty()).nth(1).is_some() {
            return Ok(Reader::WilsonJsonl);
        }
        return Ok(Reader::WilsonApi);
    }
    let header = start.lines().next().unwrap_or("");
    if header.contains(',') && (header.contains("text_body") || header.contains("record_id")) {
        return Ok(Reader::WilsonCsv);
    }
    Ok(Reader::Record)
}

/// Chooses an XML reader from the root element, its namespace and a look at the
/// first part of the file.
fn detect_xml_reader(path: &Path, text: &str) -> Result<Reader> {
    let (root, attrs) = xml::root_element(path, text)?;
    let head = &text[..text.len().min(64 * 1024)];
    let head = &head[..head.floor_char_boundary(head.len())];
    let namespace = xml::attr(&attrs, "xmlns").unwrap_or("");
    let id = xml::attr(&attrs, "xml:id").unwrap_or("");
    match xml::local(&root) {
        "akomaNtoso" => Ok(Reader::AkomaNtoso),
        "TEI" | "teiCorpus" if head.contains("<idno type=\"opis\"") => Ok(Reader::Tei),
        "TEI" | "teiCorpus" if id.starts_with("ParlaMint") || head.contains("ParlaMint") => Ok(Reader::ParlaMint),
        "TEI" if namespace.contains("tei-c.org") || namespace.is_empty() => Ok(Reader::Frus),
        other => Err(FormatError::Unrecognized {
            path: path.to_owned(),
            reason: format!(
                "XML with root element <{other}>; opis reads TEI (FRUS, ParlaMint, its own), Akoma Ntoso and Wilson Center exports"
            ),
        }),
    }
}

/// Reads `bytes` (the content of `path`) with `reader`, or the detected one.
pub fn parse_bytes(path: &Path, bytes: &[u8], reader: Option<Reader>) -> Result<Parsed> {
    let decoded = decode(path, bytes)?;
    let reader = match reader {
        Some(r) => r,
        None => detect_reader(path, &decoded.text)?,
    };
    let text = decoded.text.as_str();
    let mut file_diagnostics = Vec::new();
    let mut documents = match reader {
        Reader::Record => vec![record::parse_record(path, text)?],
        Reader::WilsonCsv => wilson::parse_csv(path, text)?,
        Reader::WilsonJsonl => wilson::parse_jsonl(path, text)?,
        Reader::WilsonApi => wilson::parse_api_json(path, text)?,
        Reader::Frus => frus::parse_frus(path, text)?,
        Reader::ParlaMint => {
            let (docs, diagnostics) = parlamint::parse_parlamint_file(path, text)?;
            file_diagnostics = diagnostics;
            docs
        }
        Reader::AkomaNtoso => akoma::parse_akoma(path, text)?,
        Reader::Tei => tei::parse_tei(path, text)?,
        Reader::OpisJsonl => opis_jsonl::parse_opis_jsonl(path, text)?,
    };
    if documents.is_empty() {
        return Err(FormatError::Unrecognized { path: path.to_owned(), reason: "no documents found".into() });
    }
    if matches!(reader, Reader::Frus | Reader::ParlaMint | Reader::AkomaNtoso | Reader::Tei) {
        file_diagnostics.extend(check_encoding_declaration(text, bytes, &decoded.diagnostics));
    }
    prepend_diagnostics(&mut documents, &decoded.diagnostics);
    Ok(Parsed { reader, documents, diagnostics: file_diagnostics })
}

/// Puts what decoding the bytes found before each document's own diagnostics.
fn prepend_diagnostics(documents: &mut [Document], decoded: &[opis_model::Diagnostic]) {
    for doc in documents {
        let mut diagnostics = decoded.to_vec();
        diagnostics.append(&mut doc.diagnostics);
        doc.diagnostics = diagnostics;
    }
}

/// Reads a piece of a file of one document per line (`reader.reads_lines()`): `bytes` are whole
/// lines of `path`, the first of them line `first_line`. Errors and diagnostics name lines of
/// the whole file. A piece of blank lines gives no documents (not an error: the file has others).
/// Large JSON Lines exports are read so, in pieces on several threads, never whole.
pub fn parse_lines(path: &Path, bytes: &[u8], reader: Reader, first_line: u32) -> Result<Parsed> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Parsed { reader, documents: Vec::new(), diagnostics: Vec::new() });
    }
    let mut decoded = decode(path, bytes)?;
    for d in &mut decoded.diagnostics {
        if let Some(line) = &mut d.line {
            *line += first_line - 1;
        }
    }
    let text = decoded.text.as_str();
    let mut documents = match reader {
        Reader::WilsonJsonl => wilson::parse_jsonl_from(path, text, first_line)?,
        Reader::OpisJsonl => opis_jsonl::parse_opis_jsonl_from(path, text, first_line)?,
        other => {
            return Err(FormatError::Unrecognized {
                path: path.to_owned(),
                reason: format!("the {other} reader reads whole files, not pieces of lines"),
            });
        }
    };
    prepend_diagnostics(&mut documents, &decoded.diagnostics);
    Ok(Parsed { reader, documents, diagnostics: Vec::new() })
}

/// A warning when the XML declaration names an encoding the bytes are not in (the text
/// was read by what the bytes are: UTF-8, UTF-16 by its byte-order mark, or
/// Windows-1252 when they are not UTF-8, which `decode` reports itself).
fn check_encoding_declaration(
    text: &str,
    bytes: &[u8],
    decoded: &[opis_model::Diagnostic],
) -> Option<opis_model::Diagnostic> {
    let start = text.trim_start();
    let decl = start.strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let value = decl[at + "encoding".len()..].trim_start().strip_prefix('=')?.trim_start();
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let declared = value[1..].split(quote).next()?.trim().to_ascii_lowercase();
    let actual = if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        "utf-16"
    } else if decoded.iter().any(|d| d.code == "invalid-utf8") {
        "windows-1252"
    } else {
        "utf-8"
    };
    let agrees = match actual {
        "utf-8" => matches!(declared.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii") || bytes.is_ascii(),
        "utf-16" => declared.starts_with("utf-16"),
        _ => matches!(declared.as_str(), "iso-8859-1" | "latin1" | "latin-1" | "windows-1252" | "cp1252"),
    };
    (!agrees).then(|| {
        opis_model::Diagnostic::warning(
            "encoding-declaration",
            format!("the XML declaration says encoding {declared:?}, but the bytes are {actual}; read as {actual}"),
            Some(1),
        )
    })
}

/// Reads a file from disk into documents.
pub fn parse_file(path: &Path, reader: Option<Reader>) -> Result<Parsed> {
    let bytes = std::fs::read(path).map_err(|source| FormatError::Io { path: path.to_owned(), source })?;
    parse_bytes(path, &bytes, reader)
}
