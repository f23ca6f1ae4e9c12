//! Extraction shared by every reader: what a historian wants recovered from text,
//! independent of the format the text came in.
//!
//! - [`date`]: printed dates to ISO day ranges.
//! - [`archival`]: archival references ("TsKhSD, F. 3, Op. 12, D. 1006, Ll. 6-14").
//! - [`language`]: language names and ISO 639-1 codes, and a small text-language guess.
//! - [`citation`]: compiler, publication, source URL and kind from citation and title.
//! - [`body`]: the body's structure: sections, attendance lists, speaker turns, list items.
//! - [`notes`]: note markers, note lists and the references inside notes.
//! - [`persons`]: people named in a document, with spellings and mention counts.

pub mod archival;
pub mod body;
pub mod citation;
pub mod date;
pub mod language;
pub mod notes;
pub mod persons;
