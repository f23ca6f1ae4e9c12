//! Readers that turn source files into opis [`Document`]s, and the extraction they share.
//!
//! Data path: bytes → [`input::decode`] (UTF-8, else Windows-1252 with a diagnostic)
//! → a reader (`record` for the plain-text Wilson Center record layout, `wilson`
//! for the scraped CSV / JSON Lines exports and the Digital Archive API JSON,
//! `frus`, `parlamint`, `akoma` and `tei` for XML, all over the shared [`xml`]
//! pull parser, and `opis_jsonl` for opis's own export)
//! → [`extract`] (dates, archival references, citation parts, languages, body
//! structure with speaker turns, notes, persons) → `Document`s with diagnostics.
//!
//! Architecture invariant: damaged input is data. A reader returns documents plus
//! diagnostics for everything odd; it returns a [`FormatError`] only when the file
//! is not of its format at all (empty, binary, no record structure), and it never
//! panics.

pub mod akoma;
pub mod detect;
pub mod error;
pub mod extract;
pub mod frus;
pub mod input;
pub mod opis_jsonl;
pub mod parlamint;
pub mod pocom;
pub mod record;
pub mod tei;
pub mod wilson;
pub mod xml;

pub use detect::{Reader, detect_reader, parse_bytes, parse_file, parse_lines};
pub use error::FormatError;
pub use opis_model::Document;
